"""SQLite: the sqlite3 module."""
from armpy.sources import DebianOrig, Upstream

VERSION = "3.53.4"
LICENSE = "blessing"
LICENSE_FILE = "LICENSE.md"
DEPENDS = []
SOURCES = [
    Upstream("https://www.sqlite.org/2026/sqlite-autoconf-3530400.tar.gz",
             sha256="0e9483900e92cd5de8fd48d16bf9200145a61f7fd5be542a5ac81d8a9516eb9c"),
    # Debian repacks SQLite's full source tree (the amalgamation is generated
    # during the build, with the host's tclsh); same configure interface.
    DebianOrig("sqlite3", "3.53.4-2", "sqlite3_3.53.4.orig.tar.xz",
               sha256="05366adc8ee80c6b1faa71285b49d133c2121238ca58934b077fdeb95934abd4",
               size=8656972),
]
# Features Python users expect of sqlite3 (as in python.org's and Debian's builds).
FEATURES = ["-DSQLITE_ENABLE_FTS3_PARENTHESIS", "-DSQLITE_ENABLE_MATH_FUNCTIONS",
            "-DSQLITE_ENABLE_COLUMN_METADATA", "-DSQLITE_ENABLE_DBSTAT_VTAB",
            "-DSQLITE_ENABLE_UNLOCK_NOTIFY", "-DSQLITE_MAX_VARIABLE_NUMBER=250000",
            "-DSQLITE_THREADSAFE=1"]


def build(b):
    tc = b.toolchain
    b.run(["./configure", f"--host={b.target.gnu_triple}", f"--prefix={b.prefix}",
           "--disable-shared", "--disable-tcl", "--disable-readline",
           "--fts3", "--fts4", "--fts5", "--rtree", "--session",
           f"CC={' '.join(tc.cc)}", f"AR={tc.ar}",
           f"CFLAGS={' '.join(b.cflags + FEATURES)}"],
          env={"BUILD_CC": "gcc"})
    if b.platform.CPYTHON_BUILD == "pcbuild":
        # CPython's Windows build makes sqlite3.dll, which _sqlite3.pyd imports, from
        # the amalgamation (sqlite3Dir) with python.org's options (sqlite3.vcxproj).
        b.make("sqlite3.c")
        b.install_files({"sqlite3.c": "source", "sqlite3.h": "source"})
        return
    b.make("libsqlite3.a")
    b.make("install-headers", "install-lib", "install-pc")
