"""How a target's programs run on this host: natively, through qemu-user
(binfmt_misc), under Wine (Windows programs, armpy/wine.py), or not at all (then
one line says where they run); the clean environment they run in; and stopping a
run with everything it started."""
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
    """Whether this host can run `target` programs at all (natively, under qemu-user or
    under Wine)."""
    return is_native(target) or (target.runner in ("qemu", "wine") and sys.platform == "linux")


def under_wine(target):
    """Whether `target` programs run here under Wine (a Windows target, not native)."""
    return target.runner == "wine" and not is_native(target)


def command(target, argv, binds=()):
    """The host command that runs the target program `argv` (its path first): the
    program itself, natively or through binfmt_misc; under Wine, with the folders in
    `binds` (the program's and its files') visible at their own paths."""
    if under_wine(target):
        from . import wine
        return wine.target_command(argv, binds)
    return list(argv)


def run(target, argv, binds=(), timeout=300, env=None):
    """Run the target program `argv` as command() does, to its end, its output
    captured; ArmpyError if it does not end within `timeout` seconds (it is stopped,
    with what it started)."""
    if under_wine(target):
        from . import wine
        return wine.run_target(argv, binds, timeout=timeout)
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              env=env)
    except subprocess.TimeoutExpired:
        raise ArmpyError(f"{argv[0]}: did not end within {timeout} s") from None


def host_paths(target, value):
    """A document a target program printed, with its paths as this host's paths."""
    if under_wine(target):
        from . import wine
        return wine.host_paths(value)
    return value


def cannot_run_here(target):
    return (f"{target.triple} programs cannot run on this {sys.platform} "
            f"{platform.machine()} host; run them on {target.native_host}")


def detect(target):
    """{"kind": "native" | "emulated", …} for `target` on this host, or ArmpyError."""
    if is_native(target):
        return {"kind": "native", "host_machine": platform.machine()}
    if not runs_here(target):
        raise ArmpyError(cannot_run_here(target))
    if target.runner == "wine":
        from . import wine
        return {"kind": "wine", "host_machine": platform.machine(),
                "wine": wine.WINE_VERSION, "qemu_cpu": wine.QEMU_CPU}
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
    if how["kind"] == "wine":
        # What enters Wine's root (unshare, chroot) is in sbin; the Windows
        # program's own environment is Wine's (armpy/wine.py).
        env["PATH"] += ":/usr/sbin:/sbin"
    return env


def stop_process_tree(process, run_dirs):
    """Stop `process` (with its process group, if it leads one) and every process it
    started.

    regrtest stops its workers itself on SIGINT, but they run in sessions of
    their own; whatever is left after that names one of `run_dirs` (the folders
    the run's programs and files are in) on its command line, as this host
    writes it or as Wine does (Z:\\tmp\\x for /tmp/x).
    """
    def send(signum):
        if process.returncode is None:
            if os.getpgid(process.pid) == process.pid:
                os.killpg(process.pid, signum)
            else:
                process.send_signal(signum)

    try:
        send(signal.SIGINT)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass
    from . import wine
    markers = [os.fsencode(form) for folder in run_dirs
               for form in (folder, wine.windows_path(folder))]
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
            if any(marker in cmdline for marker in markers):
                os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass
