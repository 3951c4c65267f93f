"""CPython's regression suite run on the real artifacts, and the runner's handling of faults.

The default build runs the quick tier on every artifact (the `artifact`
fixture is that build). The fault tests add real failing, flaky and hanging
test files to a copy of the real archive and run the standalone command on it.
"""
import json
import os
import shlex
import signal
import subprocess
import sys
import time

import pytest

from armpy import archives, manifest, package, regrtest, skiplist
from conftest import DEFAULT_TOOLCHAIN, ROOT, extension_source, interruptible, run_python, target_cc

pytestmark = pytest.mark.build

RUNNER = [sys.executable, "-m", "armpy.regrtest"]


def runner(*args, **kwargs):
    return subprocess.run(RUNNER + [str(a) for a in args], capture_output=True, text=True,
                          cwd=ROOT, timeout=kwargs.pop("timeout", 1800), **kwargs)


def test_default_build_ran_the_quick_tier_and_recorded_it(artifact):
    with open(artifact.regrtest_summary) as f:
        summary = json.load(f)
    manifest.validate_regression_summary(summary)
    assert summary["passed"] and summary["tier"] == "quick"
    assert summary["unexpected_failures"] == []
    assert sorted(summary["artifacts"]) == sorted(
        os.path.basename(p) for p in (artifact.full, artifact.install_only,
                                      artifact.install_only_stripped))
    files = summary["test_files"]
    quick = regrtest.load_tier("quick")["tests"]
    absent = [n for n, o in summary["outcomes"].items() if o["outcome"] == "not-in-version"]
    assert absent == ["test_zstd"]     # CPython 3.14 and later
    assert files["selected"] == len(quick) - len(absent)
    # The free-threaded build's own tests skip themselves where the GIL is on.
    assert summary["outcomes"]["test_free_threading"]["outcome"] == "skipped"
    assert files["run"] == files["selected"] - 1, summary["outcomes"]
    assert summary["test_cases"]["run"] > 5000
    assert summary["skip_list_categories"]["ours"] == 0
    if summary["runner"]["kind"] == "emulated":
        assert summary["runner"]["qemu"].startswith("qemu-aarch64 version")
    # The published manifest carries the same summary and validates against the schema.
    with open(artifact.published_manifest) as f:
        published = json.load(f)
    manifest.validate(published)
    assert published["armpy"]["regression_tests"] == summary
    assert published["armpy"]["smoke_test"]["failed"] == {}
    listed = open(os.path.join(artifact.dist, package.SHA256SUMS)).read()
    assert os.path.basename(artifact.install_only) in listed


CANARY = '''
import os
import unittest


class Canary(unittest.TestCase):
    def test_passes(self):
        pass

    def test_fails_unexpectedly(self):
        self.fail("canary: not in the skip list")

    def test_fails_as_listed(self):
        self.fail("canary: listed as expected to fail")

    def test_listed_but_passes(self):
        pass
'''
FLAKY = '''
import os
import unittest


class Flaky(unittest.TestCase):
    def test_fails_on_first_run_only(self):
        marker = os.path.join(os.environ["HOME"], "armpy-flaky-marker")
        if not os.path.exists(marker):
            open(marker, "w").close()
            self.fail("canary: first run")
'''
HANG = '''
import time
import unittest


class Hang(unittest.TestCase):
    def test_never_returns(self):
        time.sleep(3600)
'''
CANARY_SKIPS = '''
include = ["{base}"]

[[entry]]
test = "test_armpy_canary.Canary.test_fails_as_listed"
mode = "fail"
reason = "sandbox"
why = "canary for the runner's tests"

[[entry]]
test = "test_armpy_canary.Canary.test_listed_but_passes"
mode = "fail"
reason = "sandbox"
why = "canary for the runner's tests: reported as stale"
'''


@pytest.fixture(scope="module")
def canary_archive(artifact, tmp_path_factory):
    """A copy of the real install_only archive with three extra test files."""
    if artifact.toolchain != DEFAULT_TOOLCHAIN:
        pytest.skip("one toolchain is enough for the runner's fault handling")
    work = tmp_path_factory.mktemp("canary")
    tree = work / "tree"
    archives.extract(artifact.install_only, str(tree))
    tests = tree / "python" / "lib" / "python3.13" / "test"
    for name, text in (("canary", CANARY), ("flaky", FLAKY), ("hang", HANG)):
        (tests / f"test_armpy_{name}.py").write_text(text)
    dist = work / "dist"
    dist.mkdir()
    path = dist / "canary-install_only.tar.gz"
    archives.write_tar_gz(str(path), [(str(tree), rel, rel)
                                      for rel in archives.walk_files(str(tree))])
    package.update_sha256sums(str(dist), releasable=[path.name])
    skips = work / "skips.toml"
    base = skiplist.path_for("aarch64-unknown-linux-gnu", "3.13",
                             json.load(open(artifact.regrtest_summary))["runner"]["kind"])
    skips.write_text(CANARY_SKIPS.format(base=base))
    return path, skips


def test_failures_flaky_hang_and_stale_entries_are_reported(canary_archive):
    archive, skips = canary_archive
    result = runner(archive, "--skip-list", skips, "--timeout", "25", "--test",
                    "test_armpy_canary", "--test", "test_armpy_flaky", "--test", "test_armpy_hang")
    assert result.returncode == 1, result.stderr
    error = result.stderr.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("armpy: error: regression suite (custom)")
    assert "test.test_armpy_canary.Canary.test_fails_unexpectedly" in error[0]
    assert "test_armpy_hang" in error[0]
    summary = json.load(open(regrtest.summary_path(archive, "custom")))
    assert summary["unexpected_failures"] == [
        "test.test_armpy_canary.Canary.test_fails_unexpectedly", "test_armpy_hang"]
    outcomes = summary["outcomes"]
    assert outcomes["test_armpy_flaky"]["outcome"] == "flaky"
    assert outcomes["test_armpy_hang"]["outcome"] == "failed"
    assert "timed out" in outcomes["test_armpy_hang"]["detail"]
    assert outcomes["test_armpy_canary"]["failing"] == [
        "test.test_armpy_canary.Canary.test_fails_as_listed",
        "test.test_armpy_canary.Canary.test_fails_unexpectedly"]
    assert summary["stale_entries"] == ["test.test_armpy_canary.Canary.test_listed_but_passes"]
    assert summary["test_cases"]["expected_failure"] == 1
    # Kept, but no longer listed as releasable.
    assert archive.exists()
    assert archive.name not in open(archive.parent / package.SHA256SUMS).read()


def test_interrupted_run_writes_no_summary_and_leaves_no_processes(canary_archive, tmp_path):
    archive, skips = canary_archive
    out, work = tmp_path / "out", tmp_path / "work"
    out.mkdir()
    process = subprocess.Popen(RUNNER + [str(archive), "--skip-list", str(skips), "--test",
                                         "test_armpy_hang", "--output-dir", str(out),
                                         "--workdir", str(work)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, preexec_fn=interruptible)
    log = regrtest.summary_path(archive, "custom", str(out))[:-len(".json")] + ".log"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and "test_armpy_hang" not in _read(log):
        time.sleep(2)
    assert "test_armpy_hang" in _read(log), "the hanging test never started"
    process.send_signal(signal.SIGINT)
    _stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "no summary written" in stderr
    assert not [n for n in os.listdir(out) if n.endswith(".json")]
    survivors = subprocess.run(["pgrep", "-f", str(work)], capture_output=True, text=True)
    assert survivors.stdout == "", survivors.stdout
    assert os.listdir(work) == []       # the extracted archive is cleaned up too


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def test_bad_archives_are_one_line_errors_and_nothing_runs(artifact, bzip2_source, tmp_path):
    if artifact.toolchain != DEFAULT_TOOLCHAIN:
        pytest.skip("archive checks do not depend on the toolchain")
    truncated = tmp_path / "truncated-install_only.tar.gz"
    with open(artifact.install_only, "rb") as f:
        truncated.write_bytes(f.read()[:4_000_000])
    truncated_full = tmp_path / "truncated-full.tar.zst"
    with open(artifact.full, "rb") as f:
        truncated_full.write_bytes(f.read()[:4_000_000])
    foreign, _recipe = bzip2_source
    cases = {truncated: "truncated or corrupt archive",
             truncated_full: "truncated or corrupt",
             foreign: "no python/PYTHON.json, so not an armpy archive",
             os.path.join(ROOT, "README.md"): "not a tar archive",
             tmp_path / "missing.tar.gz": "no such archive"}
    for path, expected in cases.items():
        result = runner(path, "--output-dir", tmp_path, timeout=300)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1, (path, result.stderr)
        assert expected in lines[0], lines[0]
    assert not [n for n in os.listdir(tmp_path) if n.endswith((".json", ".log"))]


SETUP = """
from setuptools import Extension, setup
setup(name="armpy-sum", version="1.0", ext_modules=[Extension("armpy_sum", ["armpy_sum.c"])])
"""


@pytest.fixture(scope="session")
def setuptools_wheels(tmp_path_factory):
    """setuptools as pinned (with its hash) in tests/target-requirements.txt."""
    wheels = tmp_path_factory.mktemp("wheels")
    fetched = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
         "--only-binary=:all:", "--no-deps", "--require-hashes", "-d", str(wheels),
         "-r", os.path.join(ROOT, "tests", "target-requirements.txt")],
        capture_output=True, text=True, timeout=600)
    assert fetched.returncode == 0, fetched.stderr
    return wheels


def test_setuptools_builds_an_extension_against_the_distribution(
        extracted, artifact, tmp_path, setuptools_wheels):
    """What `pip install` of an sdist does: sysconfig supplies headers, flags and suffix."""
    venv = tmp_path / "build env"
    made = run_python(extracted / "bin" / "python3", "-m", "venv", str(venv))
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    installed = run_python(python, "-m", "pip", "install", "--no-index", "--find-links",
                           str(setuptools_wheels), "setuptools", timeout=900)
    assert installed.returncode == 0, installed.stderr
    project = tmp_path / "sum project"
    project.mkdir()
    (project / "armpy_sum.c").write_text(extension_source("armpy_sum"))
    (project / "setup.py").write_text(SETUP)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    toolchain = artifact.manifest["armpy"]["toolchain"]
    if toolchain["cross"]:
        # The distribution names the compiler as a user's Arm machine has it (cc, gcc
        # or clang); on this build host the same toolchain is the cross compiler.
        env["CC"] = shlex.join(target_cc(toolchain))
    built = run_python(python, "-m", "pip", "install", "--no-index", "--no-build-isolation",
                       "-v", str(project), env=env, timeout=1200)
    output = built.stdout + built.stderr
    assert built.returncode == 0, output[-6000:]
    suffix = artifact.manifest["python_config_vars"]["EXT_SUFFIX"]
    assert f"armpy_sum{suffix}" in output
    include = str(extracted / "include" / "python3.13")
    assert include in output, "the compiler was not given the distribution's headers"
    called = run_python(python, "-c", "import armpy_sum; print(armpy_sum.add(40, 2), "
                                      "armpy_sum.__file__.endswith(%r))" % suffix)
    assert called.stdout.split() == ["42", "True"], called.stderr
