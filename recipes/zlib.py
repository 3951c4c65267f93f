"""zlib: deflate compression (zlib, gzip, zipimport of compressed wheels)."""
from armpy.sources import DebianOrig, Upstream

VERSION = "1.3.2"
LICENSE = "Zlib"
LICENSE_FILE = "LICENSE"
DEPENDS = []
SOURCES = [
    Upstream("https://zlib.net/fossils/zlib-1.3.2.tar.gz",
             sha256="bb329a0a2cd0274d05519d61c667c062e06990d72e125ee2dfa8de64f0119d16",
             size=1502830),
    # Debian repacks zlib (drops non-free contrib/), so its orig is different bytes.
    DebianOrig("zlib", "1:1.3.dfsg+really1.3.2-4", "zlib_1.3.dfsg+really1.3.2.orig.tar.gz",
               sha256="7b6903eb019983987b7112eccf90f1703f1c6c0e0cede36564bf611d19ca579d",
               size=1295859),
]


def build(b):
    if b.platform.CPYTHON_BUILD == "pcbuild":
        # CPython's Windows build compiles zlib into python3XX.dll from its source tree (zlibDir).
        b.install_tree(".", "source")
        return
    # zlib's own configure is not autoconf: it reads CHOST and CC from the environment.
    b.run(["./configure", "--static", f"--prefix={b.prefix}"], env={"CHOST": b.target.gnu_triple})
    # For a darwin CHOST it archives with Apple's /usr/bin/libtool: the toolchain's ar
    # makes the same static library anywhere.
    archiver = [f"AR={b.toolchain.ar}", "ARFLAGS=rc"]
    b.make("libz.a", *archiver)
    b.make("install", *archiver)
