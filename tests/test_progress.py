"""What a person watching a long build sees: whole lines, and a sign of life."""
import os
import subprocess
import sys

from armpy import progress


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
