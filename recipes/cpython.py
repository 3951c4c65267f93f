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

# Answers configure cannot probe when cross-compiling, each chosen on purpose.
CROSS_ANSWERS = {
    # Linux has /dev/ptmx and no /dev/ptc.
    "ac_cv_file__dev_ptmx": "yes",
    "ac_cv_file__dev_ptc": "no",
    # aarch64 handles unaligned loads; without this the string hash silently
    # falls back from siphash to fnv, which breaks hash-sensitive packages.
    "ac_cv_aligned_required": "no",
    # glibc's sem_getvalue works; the probe needs to run a target program.
    "ac_cv_broken_sem_getvalue": "no",
    # glibc's getaddrinfo is correct; the probe needs to run a target program
    # and would otherwise stop configure (or force --disable-ipv6).
    "ac_cv_buggy_getaddrinfo": "no",
}

# Modules whose libraries we do not ship: turned off so host copies cannot leak in.
DISABLED_MODULES = ["_dbm", "_gdbm", "_tkinter"]

OPTIMISATION_ARGS = {
    "noopt": [],
    "lto": ["--with-lto"],
}


def configure_args(target, build_options, cross):
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
        *OPTIMISATION_ARGS[build_options],
    ]
    args += [f"py_cv_module_{m}=n/a" for m in DISABLED_MODULES]
    if cross:
        args += [f"{k}={v}" for k, v in sorted(CROSS_ANSWERS.items())]
    return args
