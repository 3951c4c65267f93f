"""How a target's programs run on this host: natively, through qemu-user
(binfmt_misc), or not at all (then one line says where they run); the clean
environment they run in; and stopping a run with everything it started."""
import os
import platform
import signal
import subprocess
import sys

from .errors import ArmpyError

# sys.platform -> the platform names of targets.toml.
HOST_PLATFORMS = {"linux": "linux", "darwin": "darwin", "win32": "windows"}


def is_native(target):
    return HOST_PLATFORMS.get(sys.platform) == target.platform and \
        platform.machine() == target.machine


def runs_here(target):
    """Whether this host can run `target` programs at all (natively or under qemu-user)."""
    return is_native(target) or (target.runner == "qemu" and sys.platform == "linux")


def cannot_run_here(target):
    return (f"{target.triple} programs cannot run on this {sys.platform} "
            f"{platform.machine()} host; run them on {target.native_host}")


def detect(target):
    """{"kind": "native" | "emulated", …} for `target` on this host, or ArmpyError."""
    if is_native(target):
        return {"kind": "native", "host_machine": platform.machine()}
    if not runs_here(target):
        raise ArmpyError(cannot_run_here(target))
    entry = f"/proc/sys/fs/binfmt_misc/qemu-{target.machine}"
    try:
        with open(entry) as f:
            lines = f.read().splitlines()
    except OSError:
        lines = []
    if not lines or lines[0] != "enabled":
        raise ArmpyError(f"cannot run {target.machine} programs on this {platform.machine()} "
                         f"host: qemu-user is not registered with binfmt_misc ({entry}); "
                         "./run sets it up")
    interpreter = next(line.split(None, 1)[1] for line in lines
                       if line.startswith("interpreter "))
    version = subprocess.run([os.path.realpath(interpreter), "--version"],
                             capture_output=True, text=True).stdout.splitlines()
    return {"kind": "emulated", "host_machine": platform.machine(),
            "qemu": version[0] if version else "unknown", "qemu_cpu": target.qemu_cpu}


def environment(home, how):
    """A clean environment for target programs, `home` as HOME and TMPDIR."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "TMPDIR": home}
    if how["kind"] == "emulated":
        # A fixed CPU model: faster than qemu's default and the same on every host.
        env["QEMU_CPU"] = how["qemu_cpu"]
    return env


def stop_process_tree(process, run_dir):
    """Stop `process` (started in a session of its own) and every process it started.

    regrtest stops its workers itself on SIGINT, but they run in sessions of
    their own; whatever is left after that runs the interpreter from run_dir.
    """
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass
    marker = os.fsencode(run_dir)
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker in f.read():
                    os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass
