"""The stripped variant of an install tree: the same files, without debug information.

Only DWARF sections go (`strip -S`), and the platform's separate debug files
(macOS: .dSYM bundles); symbol tables stay, so a crash in a
stripped build still shows function names, and each binary keeps its build-id
note, which matches it to the unstripped copy in the full archive for a
debugger to read line numbers from.
"""
import os
import shutil
import subprocess

from . import platforms
from .errors import ArmpyError


def copy_stripped(install, dest, toolchain):
    """Copy `install` to `dest` (links as links) and strip every binary of the target there."""
    strip_program = toolchain.strip
    platform = platforms.of(toolchain.target)
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(install, dest, symlinks=True,
                    ignore=shutil.ignore_patterns(*platform.DEBUG_INFO))
    for path in list(platform.binary_files(dest)):
        # -S: --strip-debug for GNU and LLVM strip, and the same for Xcode's strip.
        result = subprocess.run([strip_program, "-S", path],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise ArmpyError(f"{strip_program} failed on {os.path.relpath(path, dest)}: "
                             f"{result.stderr.strip()[:200]}")
