"""macOS (arm64): Mach-O binaries named through @rpath, signed by their linker.

Install names and the stack size are given to the linker, which signs what it
writes (ad hoc). The only later edits are llvm-strip's, which signs the file again:
arm64 macOS kills a program whose signature does not match its bytes.
"""
import hashlib
import os
import shutil
import struct
import subprocess
import uuid

from macholib import mach_o
from macholib.MachO import MachO

from . import posix_layout
from ..errors import ArmpyError
from ..toolchain import find_program

# Room in every header for a longer install name or a real signature later.
LINK_FLAGS = ["-Wl,-headerpad_max_install_names"]
# The linker gives every Mach-O file an LC_UUID of its own (after_install makes it
# the same from any build directory).
BINARY_ID_LDFLAGS = []
# Wheels from PyPI the smoke test installs and uses ({"wheel", "code", "prints"}; none:
# the standard library's own checks cover these platforms).
SMOKE_WHEELS = []
# How CPython is built for this platform: configure and make.
CPYTHON_BUILD = "configure"
layout = posix_layout
CMAKE_SYSTEM_NAME = "Darwin"
# Scripts (pip…) start the interpreter beside them. macOS 11 and 12 have no
# realpath(1), so a script reached through a symlink elsewhere is not followed.
SCRIPT_TRAMPOLINE = (
    "#!/bin/sh\n"
    "'''exec' \"$(dirname -- \"$0\")/{python}\" \"$0\" \"$@\"\n"
    "' '''\n"
)

# Where macOS keeps its OpenSSL configuration and certificates (as Homebrew's and
# python-build-standalone's OpenSSL do); python.org's installer ships its own.
OPENSSLDIR = "/private/etc/ssl"
MACHO_MAGIC = b"\xcf\xfa\xed\xfe"   # MH_MAGIC_64, little-endian
# LLVM's dsymutil, which reads the object files zig's linker names.
DSYMUTIL = "dsymutil-19"
# What the stripped tree leaves out: the debug information of every binary.
DEBUG_INFO = ("*.dSYM",)

# Extension modules of a native macOS build of 3.13 (python.org's), less those in
# UNBUILT_EXTENSIONS: a missing one fails the build.
REQUIRED_EXTENSIONS = [
    "_asyncio", "_bisect", "_blake2", "_bz2", "_codecs_cn", "_codecs_hk",
    "_codecs_iso2022", "_codecs_jp", "_codecs_kr", "_codecs_tw", "_contextvars", "_csv",
    "_ctypes", "_curses", "_curses_panel", "_datetime", "_dbm", "_decimal",
    "_elementtree", "_hashlib", "_heapq", "_interpchannels", "_interpqueues",
    "_interpreters", "_json", "_lsprof", "_lzma", "_md5", "_multibytecodec",
    "_multiprocessing", "_opcode", "_pickle", "_posixshmem", "_posixsubprocess",
    "_queue", "_random", "_sha1", "_sha2", "_sha3", "_socket", "_sqlite3", "_ssl",
    "_statistics", "_struct", "_uuid", "_zoneinfo", "array", "binascii", "cmath",
    "fcntl", "grp", "math", "mmap", "pyexpat", "readline", "resource", "select",
    "syslog", "termios", "unicodedata", "zlib",
]
UNBUILT_EXTENSIONS = {
    "_scproxy": "needs the SystemConfiguration framework's headers, which only "
                "Apple's SDK has; urllib.request then reads no system proxy settings",
    "_gdbm": "needs GNU dbm (GPL); _dbm uses the system's ndbm instead",
    "_tkinter": "needs Tcl/Tk, which armpy does not build",
    "_testexternalinspection": "a test module (test_external_inspection) that needs "
                               "<mach/mach_vm.h>, which zig does not ship",
}

# Configure probes that must run a target program (or look at the build machine),
# answered with what configure finds on an arm64 Mac with macOS 11.
CROSS_ANSWERS = {
    # macOS has /dev/ptmx, no /dev/ptc.
    "ac_cv_file__dev_ptmx": "yes",
    "ac_cv_file__dev_ptc": "no",
    # Apple silicon handles unaligned loads (siphash, not fnv, for str hashes).
    "ac_cv_aligned_required": "no",
    # clang supports computed gotos: the eval loop's speed.
    "ac_cv_computed_gotos": "yes",
    # tzset works (time.tzset() exists on the Mac).
    "ac_cv_working_tzset": "yes",
    # wchar_t is a signed 32-bit int on Darwin.
    "ac_cv_wchar_t_signed": "yes",
    # getaddrinfo is correct; BSD chflags/lchflags exist.
    "ac_cv_buggy_getaddrinfo": "no",
    "ac_cv_have_chflags": "yes",
    "ac_cv_have_lchflags": "yes",
    # Named POSIX semaphores work; unnamed ones' sem_getvalue is a stub that fails,
    # which is what "broken" means to configure.
    "ac_cv_posix_semaphores_enabled": "yes",
    "ac_cv_broken_sem_getvalue": "yes",
    # Arithmetic right shift, IEEE doubles, working nice/poll/mbstowcs.
    "ac_cv_rshift_extends_sign": "yes",
    "ac_cv_x87_double_rounding": "no",
    "ac_cv_broken_nice": "no",
    "ac_cv_broken_poll": "no",
    "ac_cv_broken_mbstowcs": "no",
    # Threads are in libSystem: no -pthread flags needed.
    "ac_cv_pthread_is_default": "yes",
    "ac_cv_pthread_system_supported": "yes",
}


def cpython_cross_answers(toolchain):
    return dict(CROSS_ANSWERS)


def cpython_configure_args(target):
    # _dbm from the ndbm functions of libSystem, as a native build has it.
    return ["--with-dbmliborder=ndbm"]


def cpython_configure_env(target):
    return {
        "MACOSX_DEPLOYMENT_TARGET": target.deployment_target,
        # CPython's 16 MiB main-thread stack. ld64 reads -stack_size as hex (configure
        # writes 1000000, meaning 16 MiB) and zig's linker as decimal: the 0x
        # means the same to both. CoreFoundation is left to LIBS, which names it
        # too; twice, it would be loaded twice (a launch error on current macOS).
        "LINKFORSHARED": "-Wl,-stack_size,0x1000000",
    }


def is_macho(path):
    with open(path, "rb") as f:
        return f.read(4) == MACHO_MAGIC


def binary_files(root):
    """Mach-O files that load or run (not the debug files inside .dSYM bundles)."""
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.endswith(".dSYM")]
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            if not os.path.islink(path) and is_macho(path):
                yield path


def needed_libraries(path):
    """Install names of the dylibs a Mach-O file loads."""
    names = []
    for header in MachO(path).headers:
        for load, command, payload in header.commands:
            if load.cmd in (mach_o.LC_LOAD_DYLIB, mach_o.LC_LOAD_WEAK_DYLIB,
                            mach_o.LC_REEXPORT_DYLIB):
                names.append(payload.rstrip(b"\0").decode())
    return names


def after_install(install, layout, toolchain, path_names):
    """Debug information out of the build tree into dSYM bundles, while it exists.

    The links already named everything relative to the tree. A Mach-O link leaves
    the DWARF in the object files and records their build paths in the binary;
    dsymutil gathers it into <binary>.dSYM beside each binary (matched by LC_UUID,
    as Xcode does), and the paths go from the binary (strip -S, which re-signs).
    The stripped archive leaves the .dSYM bundles out (DEBUG_INFO). The objects
    name build paths by the fixed names (path_names) the compiler was given.

    The linker's LC_UUID is a digest of what it wrote, build paths of the objects
    included: each binary and its dSYM get one computed from the finished binary
    instead, and llvm-strip signs the binary again."""
    dsymutil = find_program(DSYMUTIL, "llvm-19")
    for path in list(binary_files(install)):
        run_tool([dsymutil, path, "-o", path + ".dSYM"], path)
        # LLVM 19's dsymutil also writes a relocation map for re-linking the
        # debug information, which debuggers do not read.
        shutil.rmtree(os.path.join(path + ".dSYM", "Contents", "Resources", "Relocations"),
                      ignore_errors=True)
        run_tool([toolchain.strip, "-S", path], path)
        identity = content_uuid(path)
        set_uuid(path, identity)
        set_uuid(os.path.join(path + ".dSYM", "Contents", "Resources", "DWARF",
                              os.path.basename(path)), identity)
        run_tool([toolchain.strip, "-S", path], path)


MH_MAGIC_64 = 0xFEEDFACF
LC_UUID = 0x1B
LC_CODE_SIGNATURE = 0x1D


def load_commands(data):
    """{command: (its offset, its bytes)} of a thin 64-bit Mach-O file's load commands."""
    magic, _, _, _, count, _, _, _ = struct.unpack_from("<8I", data)
    if magic != MH_MAGIC_64:
        raise ArmpyError("not a thin 64-bit Mach-O file")
    found, offset = {}, 32
    for _ in range(count):
        command, size = struct.unpack_from("<2I", data, offset)
        found[command] = (offset, data[offset:offset + size])
        offset += size
    return found


def content_uuid(path):
    """A UUID digested from the file without its UUID and its code signature."""
    with open(path, "rb") as f:
        data = bytearray(f.read())
    try:
        commands = load_commands(data)
    except (ArmpyError, struct.error) as error:
        raise ArmpyError(f"{path}: {error}") from None
    uuid_at = commands[LC_UUID][0] + 8
    data[uuid_at:uuid_at + 16] = bytes(16)
    if LC_CODE_SIGNATURE in commands:
        dataoff, _ = struct.unpack_from("<2I", commands[LC_CODE_SIGNATURE][1], 8)
        del data[dataoff:]
    return uuid.UUID(bytes=hashlib.sha256(data).digest()[:16], version=5).bytes


def set_uuid(path, identity):
    with open(path, "r+b") as f:
        data = f.read()
        try:
            at = load_commands(data)[LC_UUID][0] + 8
        except (ArmpyError, struct.error, KeyError) as error:
            raise ArmpyError(f"{path}: no LC_UUID to set ({error})") from None
        f.seek(at)
        f.write(identity)


def run_tool(command, path):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise ArmpyError(f"{os.path.basename(command[0])} failed on {path}: "
                         f"{(result.stderr.strip().splitlines() or ['no output'])[-1]}")


def crt_features(install):
    return ["libSystem"]


def manifest_fields(toolchain):
    return {"apple_sdk_platform": "macosx",
            "apple_sdk_version": toolchain.apple_sdk_version,
            "apple_sdk_canonical_name": f"macosx{toolchain.apple_sdk_version}",
            "apple_sdk_deployment_target": toolchain.target.deployment_target}
