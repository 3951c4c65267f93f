"""LLVM's profile runtime (compiler-rt/lib/profile), for PGO with compilers that lack one.

A build tool, not a component of the distribution: it is linked only into the
instrumented interpreter of a PGO build, which writes the training profile and
is then thrown away. zig's clang instruments code but ships no profile runtime
(its -fprofile-instr-generate output links, runs and writes nothing), so the
runtime of the same LLVM release is built here with the same toolchain and
glibc floor. Its raw profile format (version 10) is the one llvm-profdata 19
reads, and clang 22 reads the merged profile llvm-profdata 19 writes.
"""
import os

from armpy.sources import DebianOrig

TOOL = True
VERSION = "22.1.8"          # zig 0.17.1's clang is 22.1.8
LICENSE = "Apache-2.0 WITH LLVM-exception"
LICENSE_FILE = "compiler-rt/LICENSE.TXT"
DEPENDS = []
# Debian's orig of llvm-toolchain-22 is the whole llvm-project tree, repacked with its
# own top directory: other bytes than any tarball LLVM publishes.
NO_UPSTREAM = ("LLVM's own release tarballs are other files than Debian's repack, and "
               "none could be fetched and hashed where this pin was made")
SOURCES = [
    DebianOrig("llvm-toolchain-22", "1:22.1.8-1~deb13u4", "llvm-toolchain-22_22.1.8.orig.tar.xz",
               sha256="b49b9277aef97616320b2da259e1f8174c65b0ce2fbe2e8629644a97693402fe",
               size=196630560),
]
# Only these parts of the 196 MB tree are unpacked.
SOURCE_PATHS = ["compiler-rt/LICENSE.TXT", "compiler-rt/lib/profile", "compiler-rt/include/profile"]
# As compiler-rt's CMakeLists.txt builds it for Linux (no Windows, Darwin, AIX, Fuchsia files
# are needed: each guards itself, but they add nothing).
C_SOURCES = ["GCDAProfiling.c", "InstrProfiling.c", "InstrProfilingBuffer.c",
             "InstrProfilingFile.c", "InstrProfilingInternal.c", "InstrProfilingMerge.c",
             "InstrProfilingMergeFile.c", "InstrProfilingNameVar.c",
             "InstrProfilingPlatformLinux.c", "InstrProfilingUtil.c", "InstrProfilingValue.c",
             "InstrProfilingVersionVar.c", "InstrProfilingWriter.c"]
CXX_SOURCES = ["InstrProfilingRuntime.cpp"]
DEFINES = ["-DCOMPILER_RT_HAS_ATOMICS=1", "-DCOMPILER_RT_HAS_FCNTL_LCK=1",
           "-DCOMPILER_RT_HAS_FLOCK=1", "-DCOMPILER_RT_HAS_UNAME=1"]
LIBRARY = "lib/libclang_rt.profile.a"


def build(b):
    tc = b.toolchain
    src = os.path.join(b.srcdir, "compiler-rt", "lib", "profile")
    common = [*b.cflags, "-fno-builtin", "-fno-profile-instr-generate",
              f"-I{os.path.join(b.srcdir, 'compiler-rt', 'include')}", *DEFINES]
    objects = []
    for name in C_SOURCES + CXX_SOURCES:
        compiler = tc.cxx if name in CXX_SOURCES else tc.cc
        extra = ["-fno-exceptions", "-fno-rtti", "-nostdinc++"] if name in CXX_SOURCES else []
        obj = os.path.join(src, name.rsplit(".", 1)[0] + ".o")
        b.run([*compiler, *common, *extra, "-c", os.path.join(src, name), "-o", obj])
        objects.append(obj)
    os.makedirs(os.path.join(b.prefix, "lib"), exist_ok=True)
    b.run([tc.ar, "rcs", os.path.join(b.prefix, LIBRARY), *objects])


def instrumented_link(prefix):
    """What the instrumented interpreter's link needs (make variable: words): the library,
    and the symbol that pulls in its start-up registration (clang's driver passes the
    same -u). Extension modules take the runtime's symbols from the interpreter."""
    return {"LIBS": [os.path.join(prefix, LIBRARY), "-Wl,-u,__llvm_profile_runtime"]}
