"""Clang with lld and LLVM's binutils, targeting aarch64-linux-gnu.

Cross builds use Debian's arm64 cross sysroot (libc6-dev-arm64-cross and the
gcc cross runtime), which clang finds from --target; native builds on aarch64
use the host's own.
"""
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
        version=first_line_of([cc[0]]),
        user_programs={"cc": "clang", "cxx": "clang++", "ar": "llvm-ar", "ranlib": "llvm-ranlib"},
        ldflags=ldflags,
        glibc_floor=glibc_version(cc),
    )


def exists(env):
    return can_generate(generate, env)
