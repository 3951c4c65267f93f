"""Clang 14's profile runtime for aarch64, for PGO with Debian's clang on other hosts.

A build tool, not a component of the distribution: it is linked only into the
instrumented interpreter of a PGO build. Debian's clang adds its resource
directory's libclang_rt.profile-<arch>.a to every instrumented link, but
installs it only for the host's architecture; the aarch64 one is in the arm64
build of the same package, built by Debian from the same clang release. Nothing
is compiled: the library is taken from that package and placed in a private
resource directory that the instrumented links name (the compiler's own headers
are not involved at link time).
"""
import os
import shutil

from armpy.sources import DebianBinary

TOOL = True
VERSION = "14.0.6"          # Debian 12's clang; the runtime must be the compiler's release
LICENSE = "Apache-2.0 WITH LLVM-exception"
LICENSE_FILE = "usr/share/doc/libclang-rt-14-dev/copyright"
DEPENDS = []
NO_UPSTREAM = "a Debian binary package; LLVM publishes no aarch64 runtime for clang 14.0.6 alone"
SOURCES = [
    DebianBinary("libclang-rt-14-dev", "1:14.0.6-12", "bookworm", "arm64",
                 "libclang-rt-14-dev_1%3a14.0.6-12_arm64.deb",
                 sha256="26044ab85590cce84cefb45462d33c95d716a60ea7a14b5bf35bede61ee1e9ec",
                 size=1786672),
]
PACKAGED = f"usr/lib/llvm-14/lib/clang/{VERSION}/lib/linux/libclang_rt.profile-aarch64.a"
SOURCE_PATHS = [LICENSE_FILE, PACKAGED]
RESOURCE_DIR = "lib/clang-resource"


def build(b):
    # toolchains/clang.py chooses this runtime only for a clang whose resource
    # directory is VERSION's.
    dest = os.path.join(b.prefix, RESOURCE_DIR, "lib", "linux")
    os.makedirs(dest)
    shutil.copy2(os.path.join(b.srcdir, PACKAGED), dest)


def instrumented_link(prefix):
    """Every instrumented link (interpreter and extension modules: clang's driver adds the
    runtime to each) looks for it in the private resource directory."""
    return {"LDFLAGS_NODIST": [f"-resource-dir={os.path.join(prefix, RESOURCE_DIR)}"]}
