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

# Probes whose answer depends on how strict the compiler is, not on the target.
LENIENT_COMPILER_ANSWERS = {
    # libedit's rl_startup_hook takes no arguments (rl_hook_func_t is int (void)). The
    # probe assigns a two-argument function to it: GCC 12 and clang 14 only warn, so
    # it passed there and readline.c defined its hook with the wrong type.
    "ac_cv_readline_rl_startup_hook_takes_args": "no",
}

# Installed with DESTDIR; relocation then makes the tree work from anywhere.
PREFIX = "/install"

OPTIMISATION_ARGS = {
    "noopt": [],
    "lto": ["--with-lto"],
    # The steps of a PGO build are driven by armpy/pgo.py, so that training
    # runs through the target's runner and any failing test stops the build.
    "pgo": ["--enable-optimizations"],
    "pgo+lto": ["--enable-optimizations", "--with-lto"],
    # Py_DEBUG: assertions, reference counting checks, sys.gettotalrefcount(); -Og.
    "debug": ["--with-pydebug"],
}
# build_options' freethreaded+ prefix: the interpreter without the GIL (PEP 703).
FREETHREADED_ARGS = ["--disable-gil"]


def configure_args(platform, toolchain, build_options):
    """configure's arguments for a build with `toolchain`; `platform` is the target's
    module of armpy.platforms (its unbuilt modules, cross answers, own arguments)."""
    args = [
        f"--prefix={PREFIX}",
        "--enable-shared",
        # pip is installed afterwards from the bundled wheel (armpy/cpython.py):
        # in a cross build, configure's ensurepip step would run the build-python
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
        *OPTIMISATION_ARGS[build_options.removeprefix("freethreaded+")],
        *(FREETHREADED_ARGS if build_options.startswith("freethreaded+") else []),
    ]
    args += platform.cpython_configure_args(toolchain.target)
    # Modules whose libraries we do not ship: turned off so host copies cannot leak in.
    args += [f"py_cv_module_{m}=n/a" for m in sorted(platform.UNBUILT_EXTENSIONS)]
    args += [f"{k}={v}" for k, v in sorted(LENIENT_COMPILER_ANSWERS.items())]
    if toolchain.cross:
        args += [f"{k}={v}" for k, v in sorted(platform.cpython_cross_answers(toolchain).items())]
    return args


# Windows: CPython's PCbuild projects name their external dependencies by folder
# properties (python.props). What armpy gives each: {property: (component, folder
# of its prefix)}. PCbuild compiles zlib, bzip2 and libmpdec from their source
# trees, and sqlite3.dll from SQLite's amalgamation; the others are armpy's static
# libraries and their headers.
PCBUILD_EXTERNALS = {
    "zlibDir": ("zlib", "source"),
    "bz2Dir": ("bzip2", "source"),
    "mpdecimalDir": ("mpdecimal", "source"),
    "lzmaDir": ("xz", "source"),
    "sqlite3Dir": ("sqlite", "source"),
    "libffiIncludeDir": ("libffi", "include"),
    "opensslIncludeDir": ("openssl", "include"),
}
# What PCbuild links that armpy builds instead: import libraries of python.org's
# DLLs (libffi-8, libcrypto, libssl) and PCbuild's own library project liblzma,
# each standing for one of armpy's static libraries, by its pkg-config name (which
# also names what the static library itself links: crypt32…).
PCBUILD_LIBRARIES = {"libffi-8": "libffi", "libcrypto": "libcrypto", "libssl": "libssl",
                     "liblzma": "liblzma"}
# Components whose DLLs (their prefix's bin/) go beside python.exe, as in python.org's
# installs: the Visual C++ runtime that MSVC-built extension modules import.
PCBUILD_BESIDE_INTERPRETER = ["msvc_runtime"]
