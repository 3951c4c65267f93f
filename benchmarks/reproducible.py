"""Two clean builds of the same options, each from its own clone of this checkout in
another directory, one after the other, sharing only the verified source cache; then
which published files differ and, inside differing archives, which members.

    .venv/bin/python benchmarks/reproducible.py WORKDIR [--profile-of-first] target=… build_options=… …

With --profile-of-first, the second build of a pgo build reads the first one's profile
(pgo_profile=its full archive) instead of training. Prints each build's time and the
comparison; exit status 1 if anything differs.
"""
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from armpy import archives, options, package  # noqa: E402


def build(workdir, number, arguments):
    checkout = os.path.join(workdir, f"checkout-{number}")
    subprocess.run(["git", "clone", "-q", ROOT, checkout], check=True)
    dist = os.path.join(workdir, f"dist-{number}")
    command = [os.path.join(os.path.dirname(sys.executable), "scons"), "-Q", "-C", checkout,
               f"-j{options.PARALLEL_STEPS}", *arguments, f"dist_dir={dist}",
               f"build_dir={os.path.join(workdir, f'build-{number}')}",
               f"cache_dir={os.path.join(ROOT, '.cache', 'sources')}"]
    started = time.monotonic()
    with open(os.path.join(workdir, f"build-{number}.log"), "w") as log:
        status = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT).returncode
    print(f"build {number}: exit {status}, {time.monotonic() - started:.0f} s, from {checkout}")
    if status != 0:
        sys.exit(f"build {number} failed; log: {log.name}")
    return dist


def main(workdir, arguments):
    os.makedirs(workdir)
    profile_of_first = "--profile-of-first" in arguments
    arguments = [a for a in arguments if a != "--profile-of-first"]
    names = package.artifact_names(options.resolve(dict(a.split("=", 1) for a in arguments)))
    first = build(workdir, 1, arguments)
    if profile_of_first:
        arguments = arguments + [f"pgo_profile={os.path.join(first, names['full'])}"]
    second = build(workdir, 2, arguments)
    differing = 0
    for kind in package.SUMMED:
        a, b = (os.path.join(d, names[kind]) for d in (first, second))
        with open(a, "rb") as fa, open(b, "rb") as fb:
            same = fa.read() == fb.read()
        print(f"{'same' if same else 'DIFFERENT'}: {names[kind]}")
        if not same:
            differing += 1
            if kind in package.ARCHIVES:
                members = archives.differing_members(a, b)
                print(f"  {len(members)} members differ: " + ", ".join(members[:20]))
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
