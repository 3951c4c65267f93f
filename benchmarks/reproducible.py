"""Two clean builds of the same options, each from its own clone of this checkout in
another directory, one after the other, sharing only the verified source cache; then
which published files differ and, inside differing archives, which members.

    .venv/bin/python benchmarks/reproducible.py WORKDIR target=… build_options=… …

Prints each build's time and the comparison; exit status 1 if anything differs.
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
    names = package.artifact_names(options.resolve(dict(a.split("=", 1) for a in arguments)))
    first, second = (build(workdir, n, arguments) for n in (1, 2))
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
