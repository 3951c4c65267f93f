"""mpdecimal (libmpdec): arbitrary-precision decimal arithmetic for the decimal module."""
from armpy.sources import DebianOrig, Upstream

VERSION = "4.0.1"
LICENSE = "BSD-2-Clause"
LICENSE_FILE = "COPYRIGHT.txt"
DEPENDS = []
SHA256 = "96d33abb4bb0070c7be0fed4246cd38416188325f820468214471938545b1ac8"
SOURCES = [
    Upstream("https://www.bytereef.org/software/mpdecimal/releases/mpdecimal-4.0.1.tar.gz",
             sha256=SHA256, size=316268),
    DebianOrig("mpdecimal", "4.0.1-6", "mpdecimal_4.0.1.orig.tar.gz", sha256=SHA256, size=316268),
]


def configure_args(b):
    return ["--disable-cxx", "--enable-pc"]

def build(b):
    if b.platform.CPYTHON_BUILD == "pcbuild":
        # CPython's Windows build compiles libmpdec into _decimal from its source tree (mpdecimalDir).
        b.install_tree(".", "source")
        return
    b.autotools(configure_args(b))
