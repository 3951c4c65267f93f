"""libffi: foreign function calls for ctypes."""
from armpy.sources import DebianOrig, Upstream

VERSION = "3.4.8"
LICENSE = "MIT"
LICENSE_FILE = "LICENSE"
DEPENDS = []
SOURCES = [
    Upstream("https://github.com/libffi/libffi/releases/download/v3.4.8/libffi-3.4.8.tar.gz",
             sha256="bc9842a18898bfacb0ed1252c4febcc7e78fa139fd27fdc7a3e30d9d9356119b",
             size=1397992),
    # Debian's orig is the git tag snapshot: no generated configure (autoreconf runs).
    DebianOrig("libffi", "3.4.8-2", "libffi_3.4.8.orig.tar.gz",
               sha256="cbb7f0b3b095dc506387ec1e35b891bfb4891d05b90a495bc69a10f2293f80ff",
               size=595051),
]


def configure_args(b):
    # No -march tuning: the artifact must run on every aarch64 CPU.
    args = ["--disable-docs", "--disable-multi-os-directory", "--without-gcc-arch"]
    if b.toolchain.name == "zig":
        # Built by zig and linked into a shared object (_ctypes), the static
        # trampolines (code pages mapped a second time from the library file) crash
        # on the first call of a ctypes callback; the classic trampolines work.
        args.append("--disable-exec-static-tramp")
    return args
