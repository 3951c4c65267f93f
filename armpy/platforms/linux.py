"""Linux (glibc): ELF binaries found through $ORIGIN, hardened by the linker."""
import os
import subprocess

from . import posix_layout
from .. import elf
from ..builder import longest_first
from ..toolchain import find_program

# Every link: relocations read-only and resolved at start-up, no executable stack.
LINK_FLAGS = ["-Wl,-z,relro", "-Wl,-z,now", "-Wl,-z,noexecstack"]
# A build-id note (GCC's linker adds one by default, lld does not): it matches a
# stripped binary to its unstripped copy in the full archive.
BINARY_ID_LDFLAGS = ["-Wl,--build-id=sha1"]
# Wheels from PyPI the smoke test installs and uses ({"wheel", "code", "prints"}; none:
# the standard library's own checks cover these platforms).
SMOKE_WHEELS = []
# How CPython is built for this platform: configure and make.
CPYTHON_BUILD = "configure"
layout = posix_layout
CMAKE_SYSTEM_NAME = "Linux"
# Scripts (pip…) start the interpreter beside their real path, wherever the tree is.
SCRIPT_TRAMPOLINE = (
    "#!/bin/sh\n"
    "'''exec' \"$(dirname -- \"$(realpath -- \"$0\")\")/{python}\" \"$0\" \"$@\"\n"
    "' '''\n"
)

# What the stripped tree leaves out besides the DWARF sections: nothing (ELF keeps
# its debug information inside each binary).
DEBUG_INFO = ()
# The common location on Debian, Ubuntu, Alpine and (via symlinks) Fedora/RHEL.
OPENSSLDIR = "/etc/ssl"

# Extension modules every build must produce; a missing one fails the build.
# (_dbm/_gdbm need GPL or Berkeley DB libraries, and _tkinter needs Tcl/Tk: not shipped.)
REQUIRED_EXTENSIONS = [
    "_asyncio", "_bz2", "_codecs_cn", "_codecs_hk", "_codecs_iso2022", "_codecs_jp",
    "_codecs_kr", "_codecs_tw", "_contextvars", "_csv", "_ctypes", "_curses",
    "_curses_panel", "_datetime", "_decimal", "_elementtree", "_hashlib", "_heapq",
    "_interpchannels", "_interpqueues", "_interpreters", "_json", "_lsprof", "_lzma",
    "_md5", "_multibytecodec", "_multiprocessing", "_opcode", "_pickle",
    "_posixshmem", "_posixsubprocess", "_queue", "_random", "_sha1", "_sha2", "_sha3",
    "_blake2", "_socket", "_sqlite3", "_ssl", "_statistics", "_struct", "_uuid",
    "_zoneinfo", "array", "binascii", "cmath", "fcntl", "grp", "math", "mmap",
    "pyexpat", "readline", "resource", "select", "syslog", "termios", "unicodedata",
    "zlib", "_bisect",
]
# Modules whose libraries we do not ship: turned off so host copies cannot leak in.
UNBUILT_EXTENSIONS = {
    "_dbm": "needs a GPL (gdbm) or Berkeley DB library",
    "_gdbm": "needs GNU dbm (GPL)",
    "_tkinter": "needs Tcl/Tk, which armpy does not build",
}

# Every configure probe that must run a target program, answered with what a
# native aarch64 Linux build finds (Debian's arm64 pyconfig.h is the reference;
# tests/test_reference.py diffs against it). Without these, configure silently
# takes its "cannot tell" defaults when cross-compiling.
CROSS_ANSWERS = {
    # Linux has /dev/ptmx and no /dev/ptc (the probe looks at the build machine).
    "ac_cv_file__dev_ptmx": "yes",
    "ac_cv_file__dev_ptc": "no",
    # aarch64 handles unaligned loads; without this the string hash silently
    # falls back from siphash to fnv, which breaks hash-sensitive packages.
    "ac_cv_aligned_required": "no",
    # The cross default, "no", leaves the interpreter's eval loop a switch:
    # computed gotos are most of the speed of a native build.
    "ac_cv_computed_gotos": "yes",
    # glibc's tzset works; the cross default ("no") removes time.tzset().
    "ac_cv_working_tzset": "yes",
    # wchar_t is unsigned on aarch64 Linux (the cross default says signed,
    # which turns off HAVE_USABLE_WCHAR_T).
    "ac_cv_wchar_t_signed": "no",
    # glibc supports PTHREAD_SCOPE_SYSTEM (PTHREAD_SYSTEM_SCHED_SUPPORTED).
    "ac_cv_pthread_system_supported": "yes",
    # glibc's POSIX semaphores work and sem_getvalue is not broken.
    "ac_cv_posix_semaphores_enabled": "yes",
    "ac_cv_broken_sem_getvalue": "no",
    # glibc's getaddrinfo is correct; the cross default would stop configure
    # (or force --disable-ipv6).
    "ac_cv_buggy_getaddrinfo": "no",
    # Linux has no chflags/lchflags (the cross default falls back to a link test).
    "ac_cv_have_chflags": "no",
    "ac_cv_have_lchflags": "no",
    # aarch64 shifts signed integers arithmetically; doubles round in IEEE 754
    # double precision (no x87); glibc's nice(), poll() and mbstowcs() are correct.
    "ac_cv_rshift_extends_sign": "yes",
    "ac_cv_x87_double_rounding": "no",
    "ac_cv_broken_nice": "no",
    "ac_cv_broken_poll": "no",
    "ac_cv_broken_mbstowcs": "no",
    # Left to configure on purpose: whether uuid_generate_time_safe() returns a
    # stable MAC depends on the machine that runs the program, not the platform
    # (Debian's build says "unstable" too), so HAVE_UUID_GENERATE_TIME_SAFE_STABLE_MAC
    # stays undefined and uuid.getnode() asks at run time.
}


def pthread_answers(glibc_floor):
    """Whether pthread_create links without flags: from glibc 2.34 the thread
    functions are in libc itself; below it a native build links -lpthread (and
    defines _REENTRANT), which the three flag probes answered "no" lead to."""
    major, minor = (int(x) for x in glibc_floor.split(".")[:2])
    if (major, minor) >= (2, 34):
        return {"ac_cv_pthread_is_default": "yes"}
    return {"ac_cv_pthread_is_default": "no", "ac_cv_kpthread": "no", "ac_cv_kthread": "no",
            "ac_cv_pthread": "no"}


def cpython_cross_answers(toolchain):
    return CROSS_ANSWERS | pthread_answers(toolchain.glibc_floor)


def cpython_configure_args(target):
    return []


def cpython_configure_env(target):
    return {}


def binary_files(root):
    return elf.elf_files(root)


def needed_libraries(path):
    return elf.needed_libraries(path)


def after_install(install, layout, toolchain, path_names):
    """bin/python3.X has libpython linked in; its DT_RPATH serves extension modules
    that name libpython3.X.so as a dependency. Build paths left in debug information
    get their fixed names."""
    set_interpreter_rpath(os.path.join(install, layout["python"]), install)
    rename_debug_paths(install, path_names)


def rename_debug_paths(install, path_names):
    """What a compiler builds for itself takes no -ffile-prefix-map: zig compiles its
    libc pieces at the link that first needs them (for an LTO link, as bitcode,
    whose debug information cannot be stripped beforehand as toolchains/zig.py
    strips the rest). debugedit gives their paths the fixed names all other
    objects got from the compiler, and digests the edited file for its build-id
    again: the linker's digested the build paths."""
    debugedit = find_program("debugedit", "debugedit")
    for path in binary_files(install):
        with open(path, "rb") as f:
            data = f.read()
        edited = False
        for old, new in longest_first(path_names):
            if old.encode() in data:
                subprocess.run([debugedit, "--build-id", "--base-dir", old, "--dest-dir", new,
                                path], check=True, capture_output=True)
                edited = True
        if edited:
            elf.settle_after_edit(path)


def set_interpreter_rpath(exe, install):
    """DT_RPATH rather than RUNPATH: it also applies to the dependencies of libraries
    loaded later, so an extension module linked against libpython3.X.so (as some
    build systems link them) finds the copy in lib/. The stable-ABI forwarder
    libpython3.so finds the libpython beside it the same way."""
    subprocess.run(["patchelf", "--force-rpath", "--set-rpath", "$ORIGIN/../lib", exe],
                   check=True)
    forwarder = os.path.join(install, "lib", "libpython3.so")
    if os.path.exists(forwarder):
        subprocess.run(["patchelf", "--force-rpath", "--set-rpath", "$ORIGIN", forwarder],
                       check=True)


def crt_features(install):
    glibc = elf.max_glibc_version(install)
    return ["glibc-dynamic"] + ([f"glibc-max-symbol-version:{glibc}"] if glibc else [])


def manifest_fields(toolchain):
    return {}
