"""What every toolchain module provides, and helpers they share.

A toolchain module (toolchains/<name>.py) is an SCons tool: `generate(env)`
stores a `Toolchain` in env["TOOLCHAIN"] and `exists(env)` says whether it can
work on this host. Missing programs are reported with the package to install,
never skipped silently.
"""
import os
import platform
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field

from .errors import ArmpyError
from .recipes import ROOT


# Strips debug information for the LLVM toolchains. Debian 12's default llvm-strip (14)
# moves the segment patchelf appends for an RPATH off its alignment, so the stripped
# file no longer loads; LLVM 19's keeps the layout.
LLVM_STRIP = "llvm-strip-19"

# The interpreter's link with lld (zig, clang) puts profile-hot functions together in
# one .text.hot section ahead of .text, as GNU ld does by default; lld alone spreads
# them through the whole of .text.
LLD_HOT_TEXT = os.path.join(ROOT, "toolchains", "lld-hot-text.ld")


@dataclass(frozen=True)
class Toolchain:
    name: str
    target: object           # armpy.targets.Target
    cross: bool
    cc: tuple                # compiler command (program + fixed arguments)
    cxx: tuple
    ar: str
    ranlib: str
    version: str             # exact `cc --version` first line
    user_programs: dict      # what a user on the target calls cc, cxx, ar, ranlib
    strip: str = ""          # removes debug information from the target's binaries
    rc: str = ""             # Windows resource compiler (windres command line), if any
    ldflags: tuple = field(default_factory=tuple)
    glibc_floor: str = ""    # oldest glibc the output runs on (the headers' version)
    apple_sdk_version: str = ""   # macOS: the SDK (headers, libSystem stubs) it links with
    data_digest: str = ""    # digest of armpy's own headers and stubs it compiles with
    wrapper_flags: tuple = ()    # what its compiler wrappers add to every compile
    path_names: dict = field(default_factory=dict)   # its own paths -> their fixed names
    recorded: dict = field(default_factory=dict)   # cc/ar as the manifest tells them, if
                                                   # not by their own program names
    make_vars: tuple = ()    # make variables CPython's build needs with this toolchain
    interpreter_ldflags: tuple = ()   # link flags of CPython's programs alone (LINKFORSHARED)
    configure_vars: tuple = ()   # NAME=value answers CPython's configure needs with it
    profdata: str = ""       # llvm-profdata that reads this compiler's profiles ("" for GCC)
    pgo_runtime: str = ""    # recipe of a profile runtime the compiler lacks ("" if it has one)
    pgo_flags: tuple = ()    # make variables that choose the PGO flags instead of configure
    pgo_unsupported: str = ""    # why this toolchain cannot build pgo here ("" if it can)
    lto_unsupported: str = ""    # why it cannot build lto for this target ("" if it can)

    def describe(self):
        return {"name": self.name, "version": self.version, "cross": self.cross,
                "cc": " ".join(self.cc), "ldflags": " ".join(self.ldflags), "ar": self.ar,
                "glibc_floor": self.glibc_floor} | self.recorded


def host_runs_target(target):
    return platform.machine() == target.machine


def find_program(name, apt_package):
    path = shutil.which(name)
    if not path:
        raise ArmpyError(f"{name} not found: install it with 'apt-get install {apt_package}'")
    return path


def first_line_of(command):
    out = subprocess.run(command + ["--version"], capture_output=True, text=True)
    return (out.stdout or out.stderr).splitlines()[0].strip()


def glibc_version(cc):
    """The glibc version of the headers (and so the libc) the compiler builds against."""
    probe = subprocess.run(list(cc) + ["-E", "-P", "-x", "c", "-"], capture_output=True, text=True,
                           input="#include <features.h>\nglibc __GLIBC__ . __GLIBC_MINOR__\n")
    for line in probe.stdout.splitlines():
        if line.startswith("glibc "):
            return line.split(None, 1)[1].replace(" ", "")
    raise ArmpyError(f"{' '.join(cc)}: cannot tell its glibc version ({probe.stderr.strip()[:200]})")


def write_wrapper(path, command):
    """A shell script running `command` with the caller's arguments; rewritten only
    when it changes, so its timestamp stays put between builds."""
    text = "#!/bin/sh\nexec " + " ".join(shlex.quote(c) for c in command) + ' "$@"\n'
    try:
        with open(path) as f:
            if f.read() == text:
                return path
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.chmod(path + ".tmp", 0o755)
    os.replace(path + ".tmp", path)
    return path


def check_compiles(cc, install_command):
    """Fail early (one line) if the compiler cannot link a program for the target."""
    probe = subprocess.run(list(cc) + ["-x", "c", "-", "-o", os.devnull],
                           input="int main(void){return 0;}", capture_output=True, text=True)
    if probe.returncode != 0:
        detail = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        raise ArmpyError(f"{' '.join(cc)} cannot link a target program ({detail}): "
                         f"install it with '{install_command}'")


def can_generate(generate, env):
    """A tool's exists(): true when generate() finds everything it needs."""
    try:
        generate(env.Clone())
        return True
    except ArmpyError:
        return False
