"""Wine for Windows arm64 programs on a Linux host.

Debian trixie's arm64 Wine 10 has real ARM64 PE builtins (bookworm's Wine 8 does
not). Its programs are aarch64 Linux programs, so they run here under qemu-user,
inside a chroot: Wine starts its server through a shell script, which must be
the root's arm64 shell, not the host's. The root is made of Debian arm64 packages
fetched with a private apt configuration from the machine's own Debian mirror
(apt checks them against Debian's archive key), unpacked, and given a Wine prefix.

    python -m armpy.wine setup ROOT_DIR
    python -m armpy.wine run ROOT_DIR PROGRAM.exe [ARGS...]

Directories a program needs (an extracted archive, a work folder) are bound into
the chroot at their own paths, so a path means the same inside and outside.
"""
import os
import shutil
import subprocess
import sys
import tempfile

from . import debapt, wine_ucrt
from .errors import ArmpyError
from .recipes import ROOT

SUITE = "trixie"
WINE_VERSION = "10.0~repack-6"
# Wine and what its start-up scripts run; apt adds their dependencies. netbase has
# /etc/services, from which Wine answers service names (getaddrinfo(host, "http")).
PACKAGES = [f"wine={WINE_VERSION}", f"wine64={WINE_VERSION}", f"libwine={WINE_VERSION}",
            "libc6", "libc-bin", "dash", "coreutils", "netbase"]
# qemu's default CPU model enforces BTI, and Wine's system-call dispatcher has no
# landing pad: Wine would spin forever at start-up.
QEMU_CPU = "neoverse-n1"
WINE = "/usr/lib/wine/wine64"
WINESERVER = "/usr/lib/wine/wineserver64"
ENVIRONMENT = {
    "PATH": "/usr/bin:/bin", "HOME": "/root", "QEMU_CPU": QEMU_CPU,
    "WINEPREFIX": "/root/.wine", "WINESERVER": WINESERVER,
    "WINEDEBUG": "-all", "XDG_RUNTIME_DIR": "/root/run",
    # Wine stores Windows file names in the Unix locale's encoding: in the C locale,
    # a name with a character beyond ASCII cannot be created.
    "LANG": "C.UTF-8",
    # No .NET or HTML engine: Wine would offer to download them. The UCRT with the
    # complex functions Wine lacks (armpy/wine_ucrt.py) before Wine's own.
    "WINEDLLOVERRIDES": f"mscoree,mshtml=;{wine_ucrt.OVERRIDE}",
}
# Wine's Windows DLLs in the root, and the prefix's system folder.
WINE_DLLS = "usr/lib/aarch64-linux-gnu/wine/aarch64-windows"
SYSTEM32 = "root/.wine/drive_c/windows/system32"
# Where builds and tests keep the root (and `./run wine-setup` makes it by default).
DEFAULT_ROOT_DIR = os.path.join(ROOT, "build", "wine")
# Wine gives the host's file system the drive letter Z:.
HOST_DRIVE = "Z:\\"
# What the root records of how it was made: a different one is made again.
STAMP = ".armpy-wine"
HOW_TO_INSTALL = "'./run wine-setup' makes it"
# Mounts the chroot needs, then the caller's directories, in a private mount namespace.
ENTER = r"""
root=$1; shift
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
while [ "$1" != -- ]; do
  mkdir -p "$root$1" && mount --bind "$1" "$root$1"; shift
done
shift
exec chroot "$root" "$@"
"""


def root_of(root_dir):
    return os.path.join(root_dir, "root")


# Files the root needs beyond its packages. Wine resolves host names with the
# root's C library: without /etc/hosts, "localhost" does not resolve, and every
# program that listens on it (multiprocessing's listeners, socket servers) fails.
ROOT_FILES = {"etc/hosts": "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n",
              "etc/nsswitch.conf": "hosts: files dns\n"}


def stamp_text():
    return (f"{SUITE} {' '.join(PACKAGES)} qemu-cpu={QEMU_CPU} files={sorted(ROOT_FILES)} "
            f"ucrt={wine_ucrt.digest()}\n")


def is_ready(root_dir):
    try:
        with open(os.path.join(root_of(root_dir), STAMP)) as f:
            return f.read() == stamp_text()
    except OSError:
        return False


def check_ready(root_dir):
    """One line naming what is missing, if the root cannot run programs."""
    for program in ("unshare", "chroot", "qemu-aarch64-static"):
        if not shutil.which(program):
            raise ArmpyError(f"Wine for Windows arm64 programs needs {program}, which is "
                             f"not installed; {HOW_TO_INSTALL}")
    if not is_ready(root_dir):
        raise ArmpyError(f"no Wine root at {root_of(root_dir)} (Debian {SUITE} arm64, Wine "
                         f"{WINE_VERSION}); {HOW_TO_INSTALL}")


def setup(root_dir):
    """Make the Wine root in root_dir (kept if it is already the pinned one). Built
    beside it and renamed into place, so an interrupted setup leaves no half root."""
    root_dir = os.path.abspath(root_dir)
    if is_ready(root_dir):
        return root_of(root_dir)
    os.makedirs(root_dir, exist_ok=True)
    partial = tempfile.mkdtemp(prefix="root.partial-", dir=root_dir)
    try:
        apt = debapt.PrivateApt(os.path.join(root_dir, "apt"), SUITE, "arm64")
        for deb in apt.download_with_dependencies(PACKAGES):
            subprocess.run(["dpkg-deb", "-x", deb, partial], check=True)
        # Debian's merged /usr, which the packages assume and dpkg would set up.
        for link, target in (("lib", "usr/lib"), ("bin", "usr/bin"), ("sbin", "usr/sbin")):
            if not os.path.lexists(os.path.join(partial, link)):
                os.symlink(target, os.path.join(partial, link))
        if not os.path.lexists(os.path.join(partial, "usr", "bin", "sh")):
            os.symlink("dash", os.path.join(partial, "usr", "bin", "sh"))
        for folder in ("proc", "dev", "sys", "tmp", "root"):
            os.makedirs(os.path.join(partial, folder), exist_ok=True)
        for name, text in ROOT_FILES.items():
            with open(os.path.join(partial, name), "w") as f:
                f.write(text)
        os.makedirs(os.path.join(partial, "root", "run"), mode=0o700)
        result = run_in(partial, [WINE, "wineboot", "--init"], timeout=600)
        if result.returncode != 0:
            raise ArmpyError(f"wineboot failed in the new Wine root (exit {result.returncode}): "
                             f"{(result.stderr.strip().splitlines() or ['no output'])[-1]}")
        wine_ucrt.install(os.path.join(partial, WINE_DLLS, "ucrtbase.dll"),
                          os.path.join(partial, SYSTEM32))
        with open(os.path.join(partial, STAMP), "w") as f:
            f.write(stamp_text())
        shutil.rmtree(root_of(root_dir), ignore_errors=True)
        os.replace(partial, root_of(root_dir))
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return root_of(root_dir)


# Inside the root: the program, then the session's end. What the program leaves
# running (Wine's services, and any process of its own that did not end: a hung
# child of a test) is stopped with the server, which is waited for.
SESSION = f'"$@"; status=$?; {WINESERVER} -k; {WINESERVER} -w; exit $status'


def command(root, argv, binds=(), env=None):
    """The host command that runs `argv` in the root with Wine's environment.

    One Wine session at a time per root, each with a Wine server of its own: the
    server and Wine's services live in the mount namespace of the session that
    started them, so a program of another session, whose folders are bound in
    its own namespace, would be looked for where they are not ("Application
    could not be started"). The lock waits for the session before to end; the
    session stops its server, and every process left, before it releases the lock.

    The session is also a PID namespace whose first process dies with the
    command's: stopping the command (a timeout) stops every process of the
    session, Wine's server too, and so frees the lock for the next one."""
    environment = ENVIRONMENT | (env or {})
    return (["unshare", "--mount", "--pid", "--kill-child",
             "flock", os.path.join(os.path.dirname(root), "session.lock"),
             "sh", "-c", ENTER, "enter", root,
             *[os.path.abspath(b) for b in binds], "--", "/usr/bin/env", "-i"]
            + [f"{k}={v}" for k, v in sorted(environment.items())]
            + ["/bin/sh", "-c", SESSION, "session", *argv])


class SessionHung(ArmpyError):
    """A Wine session that did not end within its time; it has been stopped.
    `programs`: what it had running then."""

    def __init__(self, program, timeout, programs):
        super().__init__(f"{program}: the Wine session did not end within {timeout} s "
                         f"(running: {'; '.join(programs) or 'nothing'}); it has been stopped")
        self.programs = programs


def run_in(root, argv, binds=(), env=None, timeout=None):
    """Run `argv` in a Wine session of the root, its output captured. One that does
    not end within `timeout` seconds is stopped, and SessionHung names the
    programs it still had running."""
    # Windows programs may print in the console's code page, not UTF-8.
    process = subprocess.Popen(command(root, argv, binds, env), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, errors="replace")
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        left = session_programs(process.pid)
        process.kill()
        process.communicate()
        program = argv[1] if argv[0] == WINE else argv[0]
        raise SessionHung(os.path.basename(program), timeout, left) from None
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def session_programs(unshare_pid):
    """The Windows programs (and Wine's own) of the session under `unshare_pid`: the
    processes of the session's PID namespace, each as its program's name and the
    start of its arguments."""
    try:
        with open(f"/proc/{unshare_pid}/task/{unshare_pid}/children") as f:
            first = f.read().split()[0]
        namespace = os.readlink(f"/proc/{first}/ns/pid")
    except (OSError, IndexError):
        return []
    programs = []
    for pid in sorted(filter(str.isdigit, os.listdir("/proc")), key=int):
        try:
            if os.readlink(f"/proc/{pid}/ns/pid") != namespace:
                continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                words = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        # Wine's loader running a program: [qemu, wine64,] wine64 PROGRAM ARGS...
        if WINE in words[:3]:
            args = words[len(words) - words[::-1].index(WINE):]
            line = " ".join([args[0].replace("\\", "/").rsplit("/", 1)[-1], *args[1:]]).strip()
            programs.append(line if len(line) <= 60 else line[:57] + "...")
    return programs


def run_program(root_dir, program, args=(), binds=(), env=None, timeout=None):
    """Run a Windows program (a path on this host, inside `binds`) under Wine."""
    check_ready(root_dir)
    return run_in(root_of(root_dir), [WINE, program, *args], binds=binds, env=env,
                  timeout=timeout)


def target_command(argv, binds=(), root_dir=DEFAULT_ROOT_DIR):
    """The host command running a Windows program (`argv`, its path first) under Wine,
    with `binds` visible at their own paths; the root is made first if it is not
    there (once, about a minute)."""
    root = setup(root_dir)
    return command(root, [WINE, *argv], binds)


def run_target(argv, binds=(), timeout=None, root_dir=DEFAULT_ROOT_DIR):
    """Run a Windows program (`argv`, its path first) under Wine to its end.

    Wine under qemu-user hangs now and then, in a session that otherwise ends in
    seconds: a session that hangs is stopped, said so on stderr (with the programs
    it had running) and run once more; a second hang is the error."""
    root = setup(root_dir)
    try:
        return run_in(root, [WINE, *argv], binds, timeout=timeout)
    except SessionHung as hung:
        print(f"armpy: warning: {hung}; running it once more", file=sys.stderr)
    return run_in(root, [WINE, *argv], binds, timeout=timeout)


def windows_path(path):
    """A path of this host as Windows programs under Wine see it (/tmp/x -> Z:\\tmp\\x)."""
    return HOST_DRIVE + path.lstrip("/").replace("/", "\\")


def host_paths(value):
    """`value` (a JSON-like document a Windows program printed) with each Windows path
    of the host's drive (Z:\\tmp\\x) as the host's path (/tmp/x)."""
    if isinstance(value, dict):
        return {k: host_paths(v) for k, v in value.items()}
    if isinstance(value, list):
        return [host_paths(v) for v in value]
    if isinstance(value, str) and value.startswith(HOST_DRIVE):
        return "/" + value[len(HOST_DRIVE):].replace("\\", "/")
    return value


def main(argv):
    try:
        if len(argv) >= 2 and argv[0] == "setup":
            print(f"armpy: Wine root ready: {setup(argv[1])}")
            return 0
        if len(argv) >= 3 and argv[0] == "run":
            program = os.path.abspath(argv[2])
            result = run_program(argv[1], program, argv[3:], binds=[os.path.dirname(program)])
            sys.stdout.write(result.stdout)
            sys.stderr.write(result.stderr)
            return result.returncode
    except ArmpyError as error:
        print(f"armpy: error: {error}", file=sys.stderr)
        return 2
    print("usage: python -m armpy.wine setup ROOT_DIR | run ROOT_DIR PROGRAM.exe [ARGS...]",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
