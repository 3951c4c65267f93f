"""zstd: Zstandard compression (the compression.zstd module arrives in 3.14; 3.13 ships the library for it)."""
from armpy.sources import DebianOrig, Upstream

VERSION = "1.5.7"
LICENSE = "BSD-3-Clause"
LICENSE_FILE = "LICENSE"
DEPENDS = []
# CPython 3.13 for Windows has no use for it (3.14's PCbuild compiles zstd itself).
PLATFORMS = ("linux", "darwin")
SOURCES = [
    Upstream("https://github.com/facebook/zstd/releases/download/v1.5.7/zstd-1.5.7.tar.gz",
             sha256="eb33e51f49a15e023950cd7825ca74a4a2b43db8354825ac24fc1b7ee09e6fa3"),
    # Debian's +dfsg repack is different bytes (a few non-free test files removed).
    DebianOrig("libzstd", "1.5.7+dfsg-1", "libzstd_1.5.7+dfsg.orig.tar.xz",
               sha256="0c092ef267edce57ba7f3f2645c861f72eaf5e76273c6c3632869423464b90a5",
               size=1834780),
]


def build(b):
    tc = b.toolchain
    common = [f"CC={' '.join(tc.cc)}", f"AR={tc.ar}", f"CFLAGS={' '.join(b.cflags)}",
              f"PREFIX={b.prefix}", "LIBDIR=" + b.prefix + "/lib"]
    b.make("-C", "lib", "libzstd.a", *common)
    b.make("-C", "lib", "install-static", "install-includes", "install-pc", *common)
