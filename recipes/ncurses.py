"""ncurses (wide-character): the curses module, and terminal handling for libedit."""
import os

from armpy.sources import DebianOrig, Upstream

VERSION = "6.5-20250216"
LICENSE = "X11"
LICENSE_FILE = "COPYING"
DEPENDS = []
# CPython's curses modules are POSIX only.
PLATFORMS = ("linux", "darwin")
SHA256 = "b37baafa436e7133bb12a185cb8f60e1599b1947e9f0181c76f3190acf28b6eb"
SOURCES = [
    Upstream("https://invisible-island.net/archives/ncurses/current/ncurses-6.5-20250216.tgz",
             sha256=SHA256, size=3774714),
    DebianOrig("ncurses", "6.5+20250216-2", "ncurses_6.5+20250216.orig.tar.gz",
               sha256=SHA256, size=3774714),
]
# Terminal descriptions are read from the system at run time, so the artifact
# does not carry (or pin) a terminfo database of its own.
TERMINFO_DIRS = "/etc/terminfo:/lib/terminfo:/usr/share/terminfo:/usr/lib/terminfo"


def configure_args(b):
    return ["--without-shared", "--with-normal", "--enable-widec", "--without-cxx",
            "--without-cxx-binding", "--without-ada", "--without-progs", "--without-tests",
            "--without-manpages", "--without-debug", "--disable-db-install",
            "--disable-stripping", "--enable-pc-files",
            f"--with-pkg-config-libdir={b.prefix}/lib/pkgconfig",
            f"--with-terminfo-dirs={TERMINFO_DIRS}",
            "--with-default-terminfo-dir=/usr/share/terminfo",
            "--with-build-cc=gcc"]


def post_install(b):
    # libedit's configure only probes -lncurses; point that name at the wide library.
    lib = os.path.join(b.prefix, "lib")
    os.symlink("libncursesw.a", os.path.join(lib, "libncurses.a"))
