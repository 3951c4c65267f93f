"""Target platforms as data: the table in targets.toml, checked and typed here."""
import os
import re
from dataclasses import dataclass

from .errors import ArmpyError
from .recipes import ROOT
from .skiplist import tomllib
from .variants import VARIANTS

TABLE = os.path.join(ROOT, "targets.toml")
PLATFORMS = ("linux", "darwin", "windows")
BINARY_FORMATS = ("elf", "macho", "pe")
RUNNERS = ("qemu", "wine", "none")


@dataclass(frozen=True)
class WheelTag:
    tag: str               # e.g. manylinux_{major}_{minor}_aarch64
    declares: str = ""     # glibc_floor / deployment_target, if the tag names one
    version: str = ""      # what a tag without {major}_{minor} declares

    def match(self, platform_tag):
        """{declares: version} if `platform_tag` is this tag, else None."""
        pattern = re.escape(self.tag).replace(r"\{major\}", r"(\d+)").replace(r"\{minor\}",
                                                                             r"(\d+)")
        found = re.fullmatch(pattern, platform_tag)
        if not found:
            return None
        version = ".".join(found.groups()) or self.version
        return {self.declares: version} if self.declares and version else {}


@dataclass(frozen=True)
class DownloadNames:
    """What downloads indexes (uv's python-downloads JSON) call a target."""
    os: str                # linux, darwin, windows
    arch: str              # the architecture family: aarch64
    libc: str              # gnu, or none where the C library is the system's own


@dataclass(frozen=True)
class Target:
    triple: str            # Rust/LLVM-style name used in artifact names
    platform: str          # linux, darwin or windows
    binary_format: str     # elf, macho or pe
    machine: str           # platform.machine() on a host of this kind
    sysconfig_platform: str    # sysconfig.get_platform()
    extension_suffix: str  # {abi}: 313 for Python 3.13, 313t free-threaded
    wheel_tags: tuple      # WheelTag
    toolchains: tuple      # valid toolchain names, the default first
    openssl_target: str    # OpenSSL's ./Configure target
    runner: str            # qemu, wine or none: how its programs run on another host
    native_host: str       # the machine its programs run on natively, in words
    builds: bool           # false while only the validator knows the target
    gnu_triple: str = ""   # autoconf --host, cross tool prefix, Debian multiarch
    glibc_floor: str = ""  # Linux: oldest glibc the binaries run on
    deployment_target: str = ""    # macOS: oldest release the binaries run on
    qemu: str = ""         # qemu-user binary that runs this target's programs
    qemu_cpu: str = ""     # fixed CPU model so emulated runs are comparable
    zig_target: str = ""   # zig's -target, with {glibc_floor}/{deployment_target}
    build_options: str = "lto"     # default build_options of its default toolchain
    variants: tuple = ()   # freethreaded, debug: the variants it builds
    downloads: DownloadNames = None    # its names in downloads indexes

    def zig(self):
        return self.zig_target.format(glibc_floor=self.glibc_floor,
                                      deployment_target=self.deployment_target)


def load(path=TABLE):
    """{triple: Target} from the table; a malformed row is a one-line error."""
    try:
        with open(path, "rb") as f:
            table = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ArmpyError(f"{path}: {error}") from None
    return {triple: target_from_row(triple, row, path) for triple, row in table.items()}


def target_from_row(triple, row, path):
    fields = dict(row, triple=triple)
    try:
        fields["wheel_tags"] = tuple(WheelTag(**tag) for tag in row.get("wheel_tags", ()))
        fields["toolchains"] = tuple(row["toolchains"])
        fields["variants"] = tuple(row.get("variants", ()))
        fields["downloads"] = DownloadNames(**row["downloads"])
        target = Target(**fields)
    except (TypeError, KeyError) as error:
        raise ArmpyError(f"{path}: target {triple}: {error}") from None
    for name, value, valid in (("platform", target.platform, PLATFORMS),
                               ("binary_format", target.binary_format, BINARY_FORMATS),
                               ("runner", target.runner, RUNNERS)):
        if value not in valid:
            raise ArmpyError(f"{path}: target {triple}: unknown {name} '{value}' "
                             f"(valid: {', '.join(valid)})")
    for variant in target.variants:
        if variant not in VARIANTS:
            raise ArmpyError(f"{path}: target {triple}: unknown variant '{variant}' "
                             f"(valid: {', '.join(VARIANTS)})")
    return target


TARGETS = load()
BUILDABLE = tuple(triple for triple, target in TARGETS.items() if target.builds)
DEFAULT_TARGET = "aarch64-unknown-linux-gnu"


def for_wheel_tag(platform_tag):
    """(target triple, declared facts) of a wheel platform tag; ('', {}) if none."""
    for target in TARGETS.values():
        for tag in target.wheel_tags:
            declared = tag.match(platform_tag)
            if declared is not None:
                return target.triple, declared
    return "", {}
