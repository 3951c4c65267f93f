"""Clang: with lld and LLVM's binutils for aarch64-linux-gnu, or Xcode's on a Mac.

Linux cross builds use Debian's arm64 cross sysroot (libc6-dev-arm64-cross and the
gcc cross runtime), which clang finds from --target; native builds on aarch64
use the host's own. macOS builds run on a Mac only, with Xcode's clang and SDK
(found through xcrun).
"""
import os
import subprocess
import sys

from armpy import recipes
from armpy.errors import ArmpyError
from armpy.toolchain import (LLD_HOT_TEXT, LLVM_STRIP, Toolchain, can_generate,
                             check_compiles, find_program, first_line_of, glibc_version,
                             host_runs_target)

PACKAGES = "clang lld llvm"
CROSS_PACKAGES = PACKAGES + " libc6-dev-arm64-cross libgcc-12-dev-arm64-cross"


def generate(env):
    target = env["ARMPY_TARGET"]
    if target.platform == "darwin":
        return generate_xcode(env, target)
    native = host_runs_target(target)
    package = PACKAGES if native else CROSS_PACKAGES
    flags = () if native else (f"--target={target.gnu_triple}",)
    # The linker is a link-time flag: in CC it would warn on every compile-only
    # step, and configure scripts that check -Werror (xz) reject that.
    ldflags = ("-fuse-ld=lld",)
    find_program("ld.lld", "lld")
    cc = (find_program("clang", package),) + flags
    check_compiles(cc + ldflags, f"apt-get install {package}")
    env["TOOLCHAIN"] = Toolchain(
        name="clang", target=target, cross=not native, cc=cc,
        cxx=(find_program("clang++", package),) + flags,
        ar=find_program("llvm-ar", "llvm"),
        ranlib=find_program("llvm-ranlib", "llvm"),
        strip=find_program(LLVM_STRIP, "llvm-19"),
        version=first_line_of([cc[0]]),
        user_programs={"cc": "clang", "cxx": "clang++", "ar": "llvm-ar", "ranlib": "llvm-ranlib"},
        ldflags=ldflags,
        interpreter_ldflags=(f"-Wl,-T,{LLD_HOT_TEXT}",),
        glibc_floor=glibc_version(cc),
        profdata=find_program("llvm-profdata", "llvm"),
        **profile_runtime(cc, target),
    )


def generate_xcode(env, target):
    """Xcode's clang and macOS SDK, on an arm64 Mac."""
    if sys.platform != "darwin":
        others = [t for t in target.toolchains if t != "clang"]
        raise ArmpyError(f"toolchain clang for {target.triple} is Xcode's and runs on a Mac "
                         f"only (valid on this host: {', '.join(others)})")
    sdk = xcrun("--show-sdk-path")
    cc = (xcrun("--find", "clang"), "-arch", "arm64",
          f"-mmacosx-version-min={target.deployment_target}", "-isysroot", sdk)
    check_compiles(cc, "xcode-select --install")
    env["TOOLCHAIN"] = Toolchain(
        name="clang", target=target, cross=not host_runs_target(target), cc=cc,
        cxx=(xcrun("--find", "clang++"),) + cc[1:],
        ar=xcrun("--find", "ar"), ranlib=xcrun("--find", "ranlib"),
        strip=xcrun("--find", "strip"),
        version=first_line_of([cc[0]]),
        user_programs={"cc": "clang", "cxx": "clang++", "ar": "ar", "ranlib": "ranlib"},
        apple_sdk_version=xcrun("--show-sdk-version"),
        profdata=xcrun("--find", "llvm-profdata"),
    )


def xcrun(*args):
    out = subprocess.run(["xcrun", "--sdk", "macosx", *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise ArmpyError(f"xcrun {' '.join(args)} failed: install Xcode's command-line tools "
                         "with 'xcode-select --install'")
    return out.stdout.strip()


def profile_runtime(cc, target):
    """Where instrumented links find the profile runtime. The driver adds its resource
    directory's libclang_rt.profile-<arch>.a, which Debian's clang package has for the
    host's architecture only; for another, the pinned runtime of the same clang
    release (recipes/clang_rt_profile.py) is used, or PGO is refused with the reason."""
    out = subprocess.run([*cc, "-print-resource-dir"], capture_output=True, text=True)
    resource_dir = out.stdout.strip()
    library = os.path.join(resource_dir, "lib", "linux", f"libclang_rt.profile-{target.machine}.a")
    if os.path.exists(library):
        return {}
    pinned = recipes.load("clang_rt_profile").VERSION
    if os.path.basename(resource_dir) == pinned and target.machine == "aarch64":
        return {"pgo_runtime": "clang_rt_profile"}
    return {"pgo_unsupported": f"clang has no profile runtime for {target.machine} ({library} "
                               f"is missing) and armpy pins one only for aarch64 and clang "
                               f"{pinned}; build pgo with toolchain=zig or toolchain=gcc"}


def exists(env):
    return can_generate(generate, env)
