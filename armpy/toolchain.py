"""What every toolchain module provides, and helpers they share.

A toolchain module (toolchains/<name>.py) is an SCons tool: `generate(env)`
stores a `Toolchain` in env["TOOLCHAIN"] and `exists(env)` says whether it can
work on this host. Missing programs are reported with the package to install,
never skipped silently.
"""
import os
import platform
import shutil
import subprocess
from dataclasses import dataclass, field

from .errors import ArmpyError


@dataclass(frozen=True)
class Toolchain:
    name: str
    target: object           # armpy.targets.Target
    cross: bool
    cc: tuple                # compiler command (program + fixed arguments)
    cxx: tuple
    ar: str
    ranlib: str
    strip: str
    version: str             # exact `cc --version` first line
    ldflags: tuple = field(default_factory=tuple)

    def runner(self):
        """Command prefix that runs a target program on this host ([] when native)."""
        if not self.cross:
            return []
        return [find_program(self.target.qemu, "qemu-user-static"), "-cpu", self.target.qemu_cpu]

    def describe(self):
        return {"name": self.name, "version": self.version, "cross": self.cross,
                "cc": " ".join(self.cc), "ldflags": " ".join(self.ldflags), "ar": self.ar}


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


def check_compiles(cc, apt_package):
    """Fail early (one line) if the compiler cannot link a program for the target."""
    probe = subprocess.run(list(cc) + ["-x", "c", "-", "-o", os.devnull],
                           input="int main(void){return 0;}", capture_output=True, text=True)
    if probe.returncode != 0:
        detail = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        raise ArmpyError(f"{' '.join(cc)} cannot link a target program ({detail}): "
                         f"install it with 'apt-get install {apt_package}'")


def can_generate(generate, env):
    """A tool's exists(): true when generate() finds everything it needs."""
    try:
        generate(env.Clone())
        return True
    except ArmpyError:
        return False
