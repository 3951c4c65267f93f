"""expat: XML parsing for pyexpat and xml.etree."""
from armpy.sources import DebianOrig, Upstream

VERSION = "2.8.3"
LICENSE = "MIT"
LICENSE_FILE = "expat/COPYING"
DEPENDS = []
# CPython's Windows build compiles the copy in its source tree (Modules/expat),
# as python.org's does: PCbuild's pyexpat project names those files.
PLATFORMS = ("linux", "darwin")
# Debian's orig is upstream's tag archive (no generated configure): build with CMake.
SHA256 = "533659a16e0184035a99fd8e783f1ad61a887a7bf8586a8681740b9d7ed42389"
SOURCES = [
    Upstream("https://github.com/libexpat/libexpat/archive/refs/tags/R_2_8_3.tar.gz",
             sha256=SHA256, size=8464226),
    DebianOrig("expat", "2.8.3-1~deb13u1", "expat_2.8.3.orig.tar.gz", sha256=SHA256, size=8464226),
]


def build(b):
    b.cmake("expat", [
        "-DEXPAT_SHARED_LIBS=OFF", "-DEXPAT_BUILD_TOOLS=OFF", "-DEXPAT_BUILD_EXAMPLES=OFF",
        "-DEXPAT_BUILD_TESTS=OFF", "-DEXPAT_BUILD_DOCS=OFF", "-DEXPAT_BUILD_FUZZERS=OFF",
        # Python's pyexpat expects expat's default (non-wide) XML_Char.
        "-DEXPAT_CHAR_TYPE=char",
    ])
