"""Smoke test of a packaged install_only archive, run the way a user would run it.

The archive is extracted into a fresh directory whose path contains a space,
and the interpreter is started by path with a clean environment (on x86_64 the
kernel hands it to qemu-user through binfmt_misc; Windows programs run under
Wine, armpy/runner.py).
"""
import hashlib
import json
import os
import shutil
import tempfile

from . import archives, introspect, manifest as manifests, platforms, runner, sources
from .targets import TARGETS
from .errors import ArmpyError

CHECKS_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "smoke_checks.py")


def expectations(manifest):
    versions = {c["name"]: c["version"] for c in manifest["armpy"]["components"]}
    return {
        "openssl": versions["openssl"],
        "sqlite": versions["sqlite"],
        "mpdecimal": versions["mpdecimal"],
        "sha3_256_of_armpy": hashlib.sha3_256(b"armpy").hexdigest(),
        "abiflags": manifest["python_abi_tag"] or "",
    }


def extension_names(python_root, manifest, layout):
    """Every extension module the build produced: shared ones and built-in ones."""
    folder = os.path.join(python_root, layout["extensions"])
    shared = sorted(n.split(".", 1)[0] for n in os.listdir(folder)
                    if n.endswith((".so", ".pyd")))
    return shared + [m for m in manifest["armpy"]["builtin_modules"] if m not in shared]


def run(install_only_archive, manifest, workdir, cache_dir):
    """Return the checks' result dict; raise ArmpyError naming what failed.

    On a host that cannot run the target, nothing runs: the result says so and where
    the test can run (a build for such a target still packages and validates)."""
    target = TARGETS[manifest["target_triple"]]
    if not runner.runs_here(target):
        return {"passed": [], "failed": {}, "not_run": runner.cannot_run_here(target)}
    os.makedirs(workdir, exist_ok=True)
    root = tempfile.mkdtemp(prefix="smoke test ", dir=workdir)
    layout = platforms.layout_of(target, manifest)
    try:
        archives.extract(install_only_archive, root)
        python_root = os.path.join(root, "python")
        expected = expectations(manifest)
        expected["extensions"] = extension_names(python_root, manifest, layout)
        # Wheels from PyPI, verified against their pins like every input.
        expected["wheels"] = [{"path": sources.fetch([w["wheel"]], cache_dir)[0],
                               "code": w["code"], "prints": w["prints"]}
                              for w in platforms.of(target).SMOKE_WHEELS]
        expected["scratch"] = os.path.join(root, "scratch")
        expected_path = os.path.join(root, "expected.json")
        with open(expected_path, "w") as f:
            json.dump(expected, f)
        python = os.path.join(python_root, layout["python3"])
        binds = [root, os.path.dirname(CHECKS_SCRIPT), cache_dir]
        agreed = manifest_agrees(python, manifest, target, binds)
        try:
            out = runner.run(target, [python, "-I", CHECKS_SCRIPT, expected_path], binds,
                             timeout=600, env={})
        except OSError as error:
            raise ArmpyError(f"smoke test: cannot start {python}: {error.strerror} "
                             "(on x86_64, is qemu-user binfmt registered? run ./run build)") from None
        if out.returncode != 0 or not out.stdout.strip():
            last = (out.stderr.strip().splitlines() or ["no output"])[-1]
            raise ArmpyError(f"smoke test: interpreter failed ({last})")
        result = json.loads(out.stdout)
        result["extensions_imported"] = len(expected["extensions"])
        # The pinned wheels pip installed into a venv of the archive, whose code then ran.
        result["wheels"] = [os.path.basename(w["path"]) for w in expected["wheels"]]
        result["passed"].append(agreed)
        if result["failed"]:
            raise ArmpyError("smoke test failed: " + "; ".join(
                f"{name}: {reason}" for name, reason in sorted(result["failed"].items())))
        return result
    finally:
        shutil.rmtree(root, ignore_errors=True)


def manifest_agrees(python, manifest, target, binds):
    """PYTHON.json was computed at build time: the live interpreter must say the same."""
    disagree = manifests.disagreements(manifest, introspect.probe(python, target, binds))
    if disagree:
        raise ArmpyError(f"smoke test: PYTHON.json disagrees with the interpreter on "
                         f"{len(disagree)} field(s): " + "; ".join(
                             f"{k}: manifest {a!r}, interpreter {b!r}"
                             for k, (a, b) in sorted(disagree.items())[:5]))
    return "manifest_matches_interpreter"
