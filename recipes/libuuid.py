"""libuuid (from util-linux): the _uuid module's fast UUID generation."""
from armpy.sources import DebianOrig, Upstream

VERSION = "2.41.5"
LICENSE = "BSD-3-Clause"
LICENSE_FILE = "libuuid/COPYING"
DEPENDS = []
# Windows' _uuid module calls the system's RPC library (rpcrt4) instead.
PLATFORMS = ("linux", "darwin")
SHA256 = "f586e35d320ff537aab3ffeca37e9ecd482ccbe013590db4429a414d8aa6a728"
SOURCES = [
    Upstream("https://www.kernel.org/pub/linux/utils/util-linux/v2.41/util-linux-2.41.5.tar.xz",
             sha256=SHA256, size=9474992),
    DebianOrig("util-linux", "2.41.5-0+deb13u1", "util-linux_2.41.5.orig.tar.xz",
               sha256=SHA256, size=9474992),
]


def configure_args(b):
    # Only libuuid; everything else in util-linux is GPL and unneeded.
    return ["--disable-all-programs", "--enable-libuuid", "--disable-nls",
            "--disable-bash-completion", "--without-systemd", "--without-python",
            "--without-tinfo", "--without-ncurses", "--without-readline",
            "--disable-year2038",
            # Where libuuid keeps its clock state and finds uuidd at run time: the
            # system's places (as Debian's libuuid1), not this build's prefix.
            "--localstatedir=/var", "--runstatedir=/run"]
