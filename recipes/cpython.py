"""CPython: the interpreter, built against the static dependencies in their prefixes."""
from dataclasses import dataclass

from armpy.sources import DebianOrig, Upstream

LICENSE = "Python-2.0 AND CNRI-Python"
LICENSE_FILE = "LICENSE"
DEPENDS = ["bzip2", "expat", "libedit", "libffi", "libuuid", "mpdecimal", "ncurses",
           "openssl", "sqlite", "xz", "zlib", "zstd"]


@dataclass(frozen=True)
class CPythonVersion:
    version: str
    sources: tuple


VERSIONS = {
    "3.13": CPythonVersion("3.13.15", (
        Upstream("https://www.python.org/ftp/python/3.13.15/Python-3.13.15.tar.xz",
                 sha256="1e66a7945a48390ee4c2a4268a0e4185884059a13c4aab6d148aa208deea4a76",
                 size=23160540),
        # Debian's orig is upstream's release tarball, byte for byte.
        DebianOrig("python3.13", "3.13.15-1", "python3.13_3.13.15.orig.tar.xz",
                   sha256="1e66a7945a48390ee4c2a4268a0e4185884059a13c4aab6d148aa208deea4a76",
                   size=23160540),
    )),
}
# The recipe protocol's VERSION/SOURCES describe the default version.
VERSION = VERSIONS["3.13"].version
SOURCES = VERSIONS["3.13"].sources

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


def cross_answers(glibc_floor):
    return CROSS_ANSWERS | pthread_answers(glibc_floor)


# Probes whose answer depends on how strict the compiler is, not on the target.
LENIENT_COMPILER_ANSWERS = {
    # libedit's rl_startup_hook takes no arguments (rl_hook_func_t is int (void)). The
    # probe assigns a two-argument function to it: GCC 12 and clang 14 only warn, so
    # it passed there and readline.c defined its hook with the wrong type.
    "ac_cv_readline_rl_startup_hook_takes_args": "no",
}

# Modules whose libraries we do not ship: turned off so host copies cannot leak in.
DISABLED_MODULES = ["_dbm", "_gdbm", "_tkinter"]

OPTIMISATION_ARGS = {
    "noopt": [],
    "lto": ["--with-lto"],
    # The steps of a PGO build are driven by armpy/pgo.py, so that training
    # runs through the target's runner and any failing test stops the build.
    "pgo": ["--enable-optimizations"],
    "pgo+lto": ["--enable-optimizations", "--with-lto"],
}


def configure_args(target, build_options, cross, glibc_floor):
    args = [
        "--prefix=/install",
        "--enable-shared",
        # pip is installed afterwards by the target interpreter itself: in a
        # cross build, configure's ensurepip step would run the build-python
        # and install into the build-python's prefix.
        "--with-ensurepip=no",
        "--with-system-expat",
        "--with-system-libmpdec",
        "--with-readline=editline",
        "--with-openssl-rpath=no",
        "--without-static-libpython",
        # As Debian and python.org build it: sqlite3's enable_load_extension().
        "--enable-loadable-sqlite-extensions",
        # Said explicitly (USE_COMPUTED_GOTOS), as Debian does; cross builds also
        # need the probe's answer below.
        "--with-computed-gotos",
        *OPTIMISATION_ARGS[build_options],
    ]
    args += [f"py_cv_module_{m}=n/a" for m in DISABLED_MODULES]
    args += [f"{k}={v}" for k, v in sorted(LENIENT_COMPILER_ANSWERS.items())]
    if cross:
        args += [f"{k}={v}" for k, v in sorted(cross_answers(glibc_floor).items())]
    return args
