"""PGO training: a crashing or failing training test stops the build by name; the
full archive keeps the profile the build read, for a rebuild from it.

The real training runner is given a real interpreter (the extracted artifact,
under qemu-user on x86_64) and real test files planted in its test package:
one that kills its worker with SIGSEGV, one that fails an assertion.
A rebuild from the kept profile gives the same bytes: benchmarks/results/ has the
comparison (a second PGO build with LTO is more than CI's hour allows).
"""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from armpy import archives, builder, options, package, pgo
from armpy.errors import ArmpyError
from armpy.targets import DEFAULT_TARGET, TARGETS
from conftest import DEFAULT_TOOLCHAIN, ROOT

pytestmark = pytest.mark.build

PLANTED = {
    "test_armpy_pgo_crash": "import ctypes, unittest\n"
                            "class T(unittest.TestCase):\n"
                            "    def test_crash(self):\n"
                            "        ctypes.string_at(0)\n",
    "test_armpy_pgo_fail": "import unittest\n"
                           "class T(unittest.TestCase):\n"
                           "    def test_fail(self):\n"
                           "        self.assertEqual(1, 2)\n",
}


@pytest.mark.parametrize("test_name", sorted(PLANTED))
def test_failing_training_stops_the_build_naming_the_test(artifact, extracted, tmp_path,
                                                         monkeypatch, test_name):
    if artifact.toolchain != DEFAULT_TOOLCHAIN:
        pytest.skip("the training runner does not depend on the toolchain")
    test_dir = extracted / "lib" / "python3.13" / "test"
    (test_dir / f"{test_name}.py").write_text(PLANTED[test_name])
    build_tree = tmp_path / "build tree"
    build_tree.mkdir()
    os.symlink(extracted / "bin" / "python3.13", build_tree / "python")
    monkeypatch.setitem(pgo.TASKS, "short", [test_name])
    log = tmp_path / "training.log"
    with pytest.raises(ArmpyError) as raised:
        pgo.train(str(build_tree), TARGETS[DEFAULT_TARGET], "short", 2, str(log))
    message = str(raised.value)
    assert "PGO training (short) failed" in message and test_name in message, message
    assert "nothing built from its profile" in message and str(log) in message


def test_training_of_a_passing_task_reports_what_ran(artifact, extracted, tmp_path,
                                                    monkeypatch):
    if artifact.toolchain != DEFAULT_TOOLCHAIN:
        pytest.skip("the training runner does not depend on the toolchain")
    build_tree = tmp_path / "build tree"
    build_tree.mkdir()
    os.symlink(extracted / "bin" / "python3.13", build_tree / "python")
    monkeypatch.setitem(pgo.TASKS, "short", ["test_bisect"])
    result = pgo.train(str(build_tree), TARGETS[DEFAULT_TARGET], "short", 2,
                       str(tmp_path / "training.log"))
    assert result["task"] == "short" and result["tests"] == ["test_bisect"]
    assert result["runner"] in ("native", "emulated")
    # Nothing that differs between two runs: no time, no random seed of its own.
    assert "seconds" not in result
    log = (tmp_path / "training.log").read_text()
    assert f"Using random seed: {builder.SOURCE_DATE_EPOCH}" in log


# A build step as SCons runs it: in a worker thread, while the main thread's SIGINT
# handler only notes the interrupt.
STEP_IN_A_THREAD = """
import os, signal, threading
from armpy import pgo
from armpy.errors import Interrupted
from armpy.targets import TARGETS
signal.signal(signal.SIGINT, lambda *_: None)
build_tree, test_name, target, log = os.environ["STEP_ARGS"].split("|")
pgo.TASKS["short"] = [test_name]
def step():
    try:
        pgo.train(build_tree, TARGETS[target], "short", 2, log)
    except Interrupted as error:
        print(error)
thread = threading.Thread(target=step)
thread.start()
thread.join()
"""


def test_ctrl_c_stops_training_at_once_and_leaves_no_process(artifact, extracted, tmp_path):
    if artifact.toolchain != DEFAULT_TOOLCHAIN:
        pytest.skip("the training runner does not depend on the toolchain")
    started = tmp_path / "started"
    (extracted / "lib" / "python3.13" / "test" / "test_armpy_pgo_slow.py").write_text(
        "import time, unittest\n"
        "class T(unittest.TestCase):\n"
        "    def test_slow(self):\n"
        f"        open({str(started)!r}, 'w').close()\n"
        "        time.sleep(600)\n")
    build_tree = tmp_path / "build tree"
    build_tree.mkdir()
    os.symlink(extracted / "bin" / "python3.13", build_tree / "python")
    # Its own session stands for the terminal's process group, which Ctrl-C signals.
    # (Its arguments in the environment: a command line naming the build tree would
    # be taken for one of the training's own processes.)
    arguments = "|".join([str(build_tree), "test_armpy_pgo_slow", DEFAULT_TARGET,
                          str(tmp_path / "log")])
    step = subprocess.Popen([sys.executable, "-c", STEP_IN_A_THREAD], cwd=ROOT,
                            env=dict(os.environ, STEP_ARGS=arguments), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.monotonic() + 300
    while not started.exists():
        assert step.poll() is None and time.monotonic() < deadline, step.stdout.read()
        time.sleep(0.5)
    os.killpg(step.pid, signal.SIGINT)
    interrupted = time.monotonic()
    out = step.communicate(timeout=120)[0]
    assert time.monotonic() - interrupted < 60, out
    assert "cpython: PGO training (short) was interrupted" in out, out
    survivors = subprocess.run(["pgrep", "-f", str(build_tree)], capture_output=True, text=True)
    assert survivors.stdout == "", survivors.stdout


def test_the_full_archive_keeps_the_profile_its_build_read(artifact, tmp_path):
    if "pgo" not in artifact.opts.build_options.split("+"):
        pytest.skip(f"{artifact.opts.build_options} reads no profile")
    record = pgo.record_of(artifact.manifest)
    archives.extract(artifact.full, str(tmp_path), only=[package.PGO_PROFILE_DIR])
    root = tmp_path / package.PGO_PROFILE_DIR
    names = archives.walk_files(str(root))
    assert len(names) == record["files"] > 0
    assert pgo.digest(str(root), [str(root / n) for n in names]) == record["sha256"]

    # A later build reads it when it is a build of the same kind, on the same task.
    same = {"target": artifact.opts.target.triple, "toolchain": artifact.toolchain,
            "build_options": artifact.opts.build_options}
    opts = options.resolve(same | {"pgo_profile": artifact.full})
    assert opts.pgo_profile == artifact.full and opts.pgo_task == record["task"]
    other = "pgo" if artifact.opts.build_options != "pgo" else "pgo+lto"
    with pytest.raises(ArmpyError) as raised:
        options.resolve(same | {"build_options": other, "pgo_profile": artifact.full})
    assert (f"made by a build of {artifact.opts.target.triple} {artifact.toolchain} "
            f"{artifact.opts.python} {artifact.opts.build_options}, not of this build's "
            f"{artifact.opts.target.triple} {artifact.toolchain} {artifact.opts.python} "
            f"{other}") in str(raised.value)
    other_task = "cpython" if record["task"] != "cpython" else "short"
    with pytest.raises(ArmpyError, match=f"trained on the '{record['task']}' task"):
        options.resolve(same | {"pgo_profile": artifact.full, "pgo_task": other_task})
    with pytest.raises(ArmpyError, match="holds no profile"):
        options.resolve(same | {"pgo_profile": artifact.install_only})


def test_a_profile_other_than_its_manifest_records_is_never_used(artifact, tmp_path):
    if "pgo" not in artifact.opts.build_options.split("+"):
        pytest.skip(f"{artifact.opts.build_options} reads no profile")
    # The build's own manifest and profile name, with other profile bytes.
    parts = tmp_path / "parts"
    (parts / "pgo").mkdir(parents=True)
    (parts / "install" / "bin").mkdir(parents=True)
    (parts / "PYTHON.json").write_text(json.dumps(artifact.manifest))
    (parts / "install" / "bin" / "python3").write_text("")
    archives.extract(artifact.full, str(tmp_path / "kept"), only=[package.PGO_PROFILE_DIR])
    name = archives.walk_files(str(tmp_path / "kept" / package.PGO_PROFILE_DIR))[0]
    (parts / "pgo" / name).write_bytes(b"not the profile the build read")
    tampered = tmp_path / "tampered-full.tar.zst"
    archives.write_tar_zst(str(tampered), [
        (str(parts), "PYTHON.json", "python/PYTHON.json"),
        (str(parts), "install/bin/python3", "python/install/bin/python3"),
        (str(parts / "pgo"), name, f"{package.PGO_PROFILE_DIR}/{name}")])
    srcdir = tmp_path / "cpython"
    srcdir.mkdir()
    record = pgo.record_of(artifact.manifest)
    with pytest.raises(ArmpyError, match="its profile does not have the sha256 its "
                                         "PYTHON.json records"):
        pgo.use_given(str(srcdir), str(tampered), record["sha256"])
    assert os.listdir(srcdir) == []
