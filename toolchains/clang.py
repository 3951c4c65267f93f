"""Clang with lld and LLVM's binutils, targeting aarch64-linux-gnu.

Cross builds use Debian's arm64 cross sysroot (libc6-dev-arm64-cross and the
gcc cross runtime), which clang finds from --target; native builds on aarch64
use the host's own.
"""
import os
import subprocess

from armpy.toolchain import (Toolchain, can_generate, check_compiles, find_program,
                             first_line_of, glibc_version, host_runs_target)

PACKAGES = "clang lld llvm"
CROSS_PACKAGES = PACKAGES + " libc6-dev-arm64-cross libgcc-12-dev-arm64-cross"


def generate(env):
    target = env["ARMPY_TARGET"]
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
        strip=find_program("llvm-strip", "llvm"),
        version=first_line_of([cc[0]]),
        user_programs={"cc": "clang", "cxx": "clang++", "ar": "llvm-ar", "ranlib": "llvm-ranlib"},
        ldflags=ldflags,
        glibc_floor=glibc_version(cc),
        profdata=find_program("llvm-profdata", "llvm"),
        pgo_unsupported=missing_profile_runtime(cc, target),
    )


def missing_profile_runtime(cc, target):
    """Why clang cannot link an instrumented interpreter here ("" if it can): the
    driver adds its resource directory's profile runtime for the target, which
    Debian's clang package has for the host's architecture only."""
    out = subprocess.run([*cc, "-print-resource-dir"], capture_output=True, text=True)
    library = os.path.join(out.stdout.strip(), "lib", "linux",
                           f"libclang_rt.profile-{target.machine}.a")
    if os.path.exists(library):
        return ""
    return (f"clang has no profile runtime for {target.machine} ({library} is missing: "
            "Debian ships it only in that architecture's libclang-common package); "
            "build pgo with toolchain=zig or toolchain=gcc")


def exists(env):
    return can_generate(generate, env)
