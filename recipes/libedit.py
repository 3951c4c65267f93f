"""libedit: BSD-licensed line editing for the readline module (no GPL readline)."""
from armpy.sources import DebianOrig, Upstream

VERSION = "20250104-3.1"
LICENSE = "BSD-3-Clause"
LICENSE_FILE = "COPYING"
DEPENDS = ["ncurses"]
# Windows has its own console line editing; CPython's readline module is POSIX only.
PLATFORMS = ("linux", "darwin")
SHA256 = "23792701694550a53720630cd1cd6167101b5773adddcb4104f7345b73a568ac"
SOURCES = [
    Upstream("https://thrysoee.dk/editline/libedit-20250104-3.1.tar.gz",
             sha256=SHA256, size=546745),
    DebianOrig("libedit", "3.1-20250104-1", "libedit_3.1-20250104.orig.tar.gz",
               sha256=SHA256, size=546745),
]


def configure_args(b):
    return ["--disable-examples"]


def extra_cppflags(b):
    return [f"-I{b.dep_prefix('ncurses')}/include/ncursesw"]
