"""bzip2: the bz2 module's compressor."""
from armpy.sources import DebianOrig, Upstream

VERSION = "1.0.8"
LICENSE = "bzip2-1.0.6"
LICENSE_FILE = "LICENSE"
DEPENDS = []
SHA256 = "ab5a03176ee106d3f0fa90e381da478ddae405918153cca248e682cd0c4a2269"
SOURCES = [
    Upstream("https://sourceware.org/pub/bzip2/bzip2-1.0.8.tar.gz", sha256=SHA256, size=810029),
    DebianOrig("bzip2", "1.0.8-6", "bzip2_1.0.8.orig.tar.gz", sha256=SHA256, size=810029),
]


def build(b):
    if b.platform.CPYTHON_BUILD == "pcbuild":
        # CPython's Windows build compiles bzip2 into _bz2 from its source tree (bz2Dir).
        b.install_tree(".", "source")
        return
    # A plain Makefile with no install of the static library alone, and no
    # pkg-config file: build the archive and install it by hand.
    tc = b.toolchain
    b.make("libbz2.a", f"CC={' '.join(tc.cc)}", f"AR={tc.ar}", f"RANLIB={tc.ranlib}",
           f"CFLAGS={' '.join(b.cflags)} -D_FILE_OFFSET_BITS=64")
    b.install_files({"libbz2.a": "lib", "bzlib.h": "include"})
    b.write_pkgconfig("bzip2", VERSION, "-lbz2")
