"""Target platforms as data: names each ecosystem uses for the same machine."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    triple: str            # Rust/LLVM-style name used in artifact names
    gnu_triple: str        # autoconf --host, cross tool prefix, Debian multiarch
    machine: str           # platform.machine() on a host of this kind
    platform_tag: str      # sysconfig.get_platform()
    toolchains: tuple      # valid toolchain names, the default first
    qemu: str = ""         # qemu-user binary that runs this target's programs
    qemu_cpu: str = ""     # fixed CPU model so emulated runs are comparable


TARGETS = {
    t.triple: t for t in [
        Target(
            triple="aarch64-unknown-linux-gnu",
            gnu_triple="aarch64-linux-gnu",
            machine="aarch64",
            platform_tag="linux-aarch64",
            toolchains=("zig", "gcc", "clang"),
            qemu="qemu-aarch64-static",
            # The default `-cpu max` emulates pointer authentication slowly.
            qemu_cpu="neoverse-n1",
        ),
    ]
}
DEFAULT_TARGET = "aarch64-unknown-linux-gnu"
