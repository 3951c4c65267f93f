"""Interpreter speed: pyperformance benchmarks on armpy artifacts and Debian's own arm64 python3.13.

One method for every interpreter, one run, interleaved (each benchmark runs on
every interpreter before the next benchmark starts), so that drift of the
machine affects all of them alike. On x86_64 the aarch64 interpreters run under
qemu-user (binfmt_misc) with the CPU model fixed to neoverse-n1: qemu's default
model emulates pointer authentication so slowly that it distorts every
comparison. The qemu version is recorded.

    .venv/bin/python benchmarks/speed.py noopt=dist-noopt/cpython-…-install_only.tar.gz \
        lto=dist/cpython-…-install_only.tar.gz pgo+lto=dist-release/…-install_only.tar.gz

Debian's interpreter is always added as "debian" and is the baseline of the ratios.
Results: benchmarks/results/<date>-<machine>-speed.{json,txt}.
"""
import argparse
import datetime
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from armpy import archives, reference, runner, sources  # noqa: E402
from armpy.targets import DEFAULT_TARGET, TARGETS  # noqa: E402

ROOT = os.path.dirname(HERE)
# Pure-Python workloads plus two that lean on C modules (_json, _sre).
BENCHMARKS = ["chaos", "deltablue", "fannkuch", "float", "go", "hexiom", "json_loads", "nbody",
              "nqueens", "raytrace", "regex_v8", "richards"]
PYPERF_ARGS = ["--processes", "1", "--values", "3", "--warmups", "1"]
# The benchmark code and its harness (from PyPI), pinned like every other input.
PACKAGES = {
    "pyperf==2.10.0": "79196bc4a11e3c926dd4c6b14c80136c6b37f884fe913cbc57037f37636e9841",
    "pyperformance==1.14.0": "94068ac2935b6952ccb5e8a302eb9cebc26e82454494bef6e53822738adf0049",
}


def fetch_wheel(requirement, sha256, cache_dir):
    """pip's download of the wheel, kept in the source cache once it matches its pin."""
    folder = os.path.join(cache_dir, sha256)
    found = [f for f in os.listdir(folder) if f.endswith(".whl")] if os.path.isdir(folder) else []
    if not found:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                            "--only-binary=:all:", requirement, "-d", tmp], check=True)
            (wheel,) = os.listdir(tmp)
            if sources.sha256_of(os.path.join(tmp, wheel)) != sha256:
                raise SystemExit(f"{wheel}: sha256 does not match the pin {sha256}")
            os.makedirs(folder, exist_ok=True)
            shutil.move(os.path.join(tmp, wheel), os.path.join(folder, wheel))
            found = [wheel]
    path = os.path.join(folder, found[0])
    if sources.sha256_of(path) != sha256:
        raise SystemExit(f"{path}: sha256 does not match the pin {sha256}")
    return path


def harness(cache_dir, site):
    for requirement, sha256 in PACKAGES.items():
        subprocess.run([sys.executable, "-m", "zipfile", "-e",
                        fetch_wheel(requirement, sha256, cache_dir), site], check=True)
    return os.path.join(site, "pyperformance", "data-files", "benchmarks")


def run_one(python, env, script, output):
    command = [python, script, *PYPERF_ARGS, "--inherit-environ", ",".join(sorted(env)),
               "-o", output]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise SystemExit(f"{script} on {python} failed: {result.stderr.strip()[-500:]}")
    with open(output) as f:
        runs = json.load(f)["benchmarks"][0]["runs"]
    values = [v for run in runs for v in run.get("values", [])]
    return sum(values) / len(values)


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("artifacts", nargs="*", metavar="LABEL=ARCHIVE")
    parser.add_argument("--cache-dir", default=os.path.join(ROOT, ".cache", "sources"))
    parser.add_argument("--benchmarks", default=",".join(BENCHMARKS))
    args = parser.parse_args()
    target = TARGETS[DEFAULT_TARGET]
    how = runner.detect(target)
    work = tempfile.mkdtemp(prefix="armpy speed ")
    try:
        site = os.path.join(work, "site")
        bench_dir = harness(args.cache_dir, site)
        base_env = {"PATH": "/usr/bin:/bin", "HOME": work, "PYTHONPATH": site}
        root = reference.prepare_root(reference.load_spec(DEFAULT_TARGET, "3.13"), args.cache_dir,
                                      os.path.join(ROOT, "build", "reference", DEFAULT_TARGET,
                                                   "root"))
        if how["kind"] == "emulated":
            # Every interpreter runs on the same C library: Debian's, from the reference root.
            base_env.update(QEMU_CPU=how["qemu_cpu"], QEMU_LD_PREFIX=root)
            debian_env = base_env
        else:
            # Natively, Debian's interpreter finds its stdlib and libraries in the root
            # (the host's glibc must be as new as Debian's).
            debian_env = dict(base_env, PYTHONHOME=os.path.join(root, "usr"),
                              LD_LIBRARY_PATH=os.path.join(root, "usr", "lib", "aarch64-linux-gnu"))
        interpreters = {"debian": (os.path.join(root, "usr", "bin", "python3.13"), debian_env)}
        for item in args.artifacts:
            label, archive = item.split("=", 1)
            dest = os.path.join(work, label.replace("+", "_"))
            os.makedirs(dest)
            archives.extract(archive, dest)
            interpreters[label] = (os.path.join(dest, "python", "bin", "python3"), base_env)
        times = {label: {} for label in interpreters}
        names = args.benchmarks.split(",")
        for name in names:
            script = os.path.join(bench_dir, f"bm_{name}", "run_benchmark.py")
            for label, (python, env) in interpreters.items():
                output = os.path.join(work, f"{label}-{name}.json".replace("+", "_"))
                times[label][name] = run_one(python, env, script, output)
                print(f"{name:12} {label:10} {times[label][name] * 1000:9.1f} ms", flush=True)
        width = max(12, 2 + max(len(label) for label in interpreters))
        ratios = {label: geomean([times[label][n] / times["debian"][n] for n in names])
                  for label in interpreters}
        lines = [f"# pyperformance 1.14.0 / pyperf 2.10.0 {' '.join(PYPERF_ARGS)}, interleaved",
                 f"# host {platform.machine()}, {os.cpu_count()} cores; runner {how['kind']}"
                 + (f", {how['qemu']}, QEMU_CPU={how['qemu_cpu']}; every interpreter on "
                    "the reference root's glibc (QEMU_LD_PREFIX)"
                    if how["kind"] == "emulated" else ""),
                 "benchmark      " + "".join(f"{label:>{width}}" for label in interpreters)]
        for name in names:
            lines.append(f"{name:14} " + "".join(f"{times[label][name] * 1000:{width - 2}.1f}ms"
                                                 for label in interpreters))
        lines.append("geomean ratio  " + "".join(f"{ratios[label]:{width}.3f}"
                                                 for label in interpreters))
        text = "\n".join(lines) + "\n"
        print(text)
        stamp = datetime.date.today().strftime("%Y%m%d")
        out = os.path.join(HERE, "results", f"{stamp}-{platform.machine()}-speed")
        with open(out + ".txt", "w") as f:
            f.write(text)
        with open(out + ".json", "w") as f:
            json.dump({"times_seconds": times, "geomean_ratio_to_debian": ratios,
                       "runner": how, "pyperf_args": PYPERF_ARGS,
                       "artifacts": {label: {"archive": os.path.basename(path),
                                             "sha256": sources.sha256_of(path)}
                                     for label, path in (a.split("=", 1) for a in args.artifacts)}},
                      f, indent=2)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
