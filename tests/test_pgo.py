"""PGO training: a crashing or failing training test stops the build by name.

The real training runner is given a real interpreter (the extracted artifact,
under qemu-user on x86_64) and real test files planted in its test package:
one that kills its worker with SIGSEGV, one that fails an assertion.
"""
import os

import pytest

from armpy import pgo
from armpy.errors import ArmpyError
from armpy.targets import DEFAULT_TARGET, TARGETS
from conftest import DEFAULT_TOOLCHAIN

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
    assert result["runner"] in ("native", "emulated") and result["seconds"] >= 0
