"""xz (liblzma): the lzma module."""
from armpy.sources import DebianOrig, Upstream

VERSION = "5.8.3"
LICENSE = "0BSD"
LICENSE_FILE = "COPYING.0BSD"
DEPENDS = []
SHA256 = "fff1ffcf2b0da84d308a14de513a1aa23d4e9aa3464d17e64b9714bfdd0bbfb6"
SOURCES = [
    Upstream("https://github.com/tukaani-project/xz/releases/download/v5.8.3/xz-5.8.3.tar.xz",
             sha256=SHA256, size=1548064),
    DebianOrig("xz-utils", "5.8.3-1", "xz-utils_5.8.3.orig.tar.xz", sha256=SHA256, size=1548064),
]


def configure_args(b):
    return ["--disable-xz", "--disable-xzdec", "--disable-lzmadec", "--disable-lzmainfo",
            "--disable-lzma-links", "--disable-scripts", "--disable-doc", "--disable-nls"]


def post_install(b):
    if b.platform.CPYTHON_BUILD == "pcbuild":
        # CPython's Windows build reads liblzma's headers where they are in the source
        # tree ($(lzmaDir)src/liblzma/api), and links the library built here.
        b.install_tree("src/liblzma/api", "source/src/liblzma/api")
