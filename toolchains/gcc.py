"""GCC: Debian's aarch64-linux-gnu cross compiler, or the native gcc on aarch64 hosts.

The glibc floor is that of the libc the compiler links against (Debian 12: 2.36);
the zig toolchain targets an older one.
"""
from armpy.toolchain import (Toolchain, can_generate, check_compiles, find_program,
                             first_line_of, glibc_version, host_runs_target)

CROSS_PACKAGES = "gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross"


def generate(env):
    target = env["ARMPY_TARGET"]
    native = host_runs_target(target)
    prefix = "" if native else f"{target.gnu_triple}-"
    package = "build-essential" if native else CROSS_PACKAGES
    cc = (find_program(f"{prefix}gcc", package),)
    check_compiles(cc, f"apt-get install {package}")
    env["TOOLCHAIN"] = Toolchain(
        name="gcc", target=target, cross=not native, cc=cc,
        cxx=(find_program(f"{prefix}g++", package),),
        ar=find_program(f"{prefix}gcc-ar", package),
        ranlib=find_program(f"{prefix}gcc-ranlib", package),
        strip=find_program(f"{prefix}strip", package),
        version=first_line_of(list(cc)),
        user_programs={"cc": "gcc", "cxx": "g++", "ar": "ar", "ranlib": "ranlib"},
        glibc_floor=glibc_version(cc),
    )


def exists(env):
    return can_generate(generate, env)
