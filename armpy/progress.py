"""What a person watching a build sees: whole lines, never two run together.

Parallel steps write to the same terminal or log; each line goes out in one
write() of its own (atomic for a pipe up to PIPE_BUF bytes), and none uses a
carriage return, so no line ever lands inside another.
"""
import os
import subprocess
import sys
import time

# How often a long step says it is still running.
HEARTBEAT_SECONDS = 60


def line(text, stream=None):
    """Write `text` as one whole line to stdout (or `stream`), in one write."""
    stream = stream or sys.stdout
    stream.flush()
    os.write(stream.fileno(), (text.replace("\n", " ") + "\n").encode(errors="replace"))


def elapsed(seconds):
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def wait(process, label, log_path, interval=HEARTBEAT_SECONDS, timeout=None, stream=None):
    """Wait for `process`, saying every `interval` seconds that `label` is still running,
    for how long, and where its log is. Returns its exit status; raises
    subprocess.TimeoutExpired after `timeout` seconds, if given."""
    started = time.monotonic()
    while True:
        waited = time.monotonic() - started
        step = interval if timeout is None else min(interval, timeout - waited)
        if step <= 0:
            raise subprocess.TimeoutExpired(process.args, timeout)
        try:
            return process.wait(timeout=step)
        except subprocess.TimeoutExpired:
            if timeout is None or time.monotonic() - started < timeout:
                line(f"armpy: {label}: running for {elapsed(time.monotonic() - started)} "
                     f"(log: {log_path})", stream)
