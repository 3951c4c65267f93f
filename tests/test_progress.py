"""What a person watching a long build sees: whole lines, and a sign of life."""
import os
import signal
import subprocess
import sys
import time

import pytest

from armpy import progress
from conftest import ROOT, interruptible


def test_a_long_step_says_it_is_running_with_its_log(tmp_path):
    out = tmp_path / "out.txt"
    with open(out, "w") as stream:
        process = subprocess.Popen(["sleep", "2.5"])
        status = progress.wait(process, "cpython: make", "/where/cpython.log", interval=1,
                               stream=stream)
    assert status == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 2
    assert lines[0] == "armpy: cpython: make: running for 1s (log: /where/cpython.log)"
    assert lines[1].startswith("armpy: cpython: make: running for 2s")


def test_a_step_with_a_timeout_is_stopped_in_time(tmp_path):
    process = subprocess.Popen(["sleep", "30"])
    try:
        with open(tmp_path / "out.txt", "w") as stream:
            progress.wait(process, "training", "log", interval=1, timeout=1.5, stream=stream)
    except subprocess.TimeoutExpired:
        pass
    else:
        raise AssertionError("no timeout")
    finally:
        process.kill()
        process.wait()


WRITER = r"""
import sys, threading
sys.path.insert(0, sys.argv[1])
from armpy import progress
def write(name):
    for i in range(2000):
        progress.line(f"{name} line {i} " + "x" * 200)
threads = [threading.Thread(target=write, args=(n,)) for n in ("first", "second")]
[t.start() for t in threads]
[t.join() for t in threads]
"""


def test_lines_written_at_once_by_parallel_steps_never_run_together():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run([sys.executable, "-c", WRITER, root], capture_output=True,
                            text=True, timeout=120)
    lines = result.stdout.splitlines()
    assert len(lines) == 4000
    for line in lines:
        name, _, number, tail = line.split(" ", 3)
        assert name in ("first", "second") and tail == "x" * 200, line
    for name in ("first", "second"):
        numbers = [int(l.split()[2]) for l in lines if l.startswith(name)]
        assert numbers == list(range(2000))


def test_elapsed_time_reads_as_minutes_and_seconds():
    assert progress.elapsed(59) == "59s" and progress.elapsed(481) == "8m01s"


@pytest.mark.build
def test_ctrl_c_stops_a_build_in_one_line_and_a_rerun_continues(tmp_path):
    """Ctrl-C reaches every process of the terminal's group: SCons, make, configure (which
    traps it and exits 1). The build says once that it was interrupted, names no command
    as an error, and the steps that had finished are not built again."""
    scons = [os.path.join(os.path.dirname(sys.executable), "scons"), "-Q", "-C", ROOT, "-j2",
             "target=aarch64-apple-darwin", f"build_dir={tmp_path / 'build'}",
             f"dist_dir={tmp_path / 'dist'}", "deps"]
    process = subprocess.Popen(scons, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True, preexec_fn=interruptible,
                               env=dict(os.environ, PYTHONUNBUFFERED="1"))
    seen = []
    for line in process.stdout:
        seen.append(line)
        if len([s for s in seen if s.startswith("armpy: build ")]) == 4:
            time.sleep(10)   # two dependencies being built, two finished
            os.killpg(process.pid, signal.SIGINT)
            break
    seen += process.communicate(timeout=600)[0].splitlines(keepends=True)
    assert process.returncode != 0
    ours = [line for line in seen if line.startswith("armpy: ") and
            not line.startswith("armpy: build ")]
    assert ours == ["armpy: interrupted; run the same command again to continue "
                    "(finished steps are kept)\n"], "".join(seen)
    started = [line.split()[2] for line in seen if line.startswith("armpy: build ")]
    finished = started[:2]     # the two that had to end before the third and fourth began
    assert len(finished) == 2
    again = subprocess.run(scons + ["-n"], capture_output=True, text=True, timeout=600)
    assert not [c for c in finished if f"armpy: build {c} " in again.stdout], again.stdout
