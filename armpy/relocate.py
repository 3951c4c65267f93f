"""Making an installed CPython tree relocatable and free of build-machine paths.

- Binaries are made relocatable by the platform (armpy/platforms), right after
  installation.
- Scripts get a `/bin/sh` trampoline (the platform's) instead of an absolute `#!`
  interpreter path.
- Build configuration (sysconfig data, Makefile, python-config, pkg-config) keeps
  the flags a user's extension build needs and loses those that point into this
  machine's build tree, caches or toolchain installation. Compiler names become
  what a user on the target runs (`gcc`, `clang`), not our cross-compiler paths.
- `check_no_build_paths` then proves no build path is left in any file (once the
  rewritten files' bytecode is compiled again).
"""
import ast
import base64
import glob
import hashlib
import os
import pprint
import re
import shlex

from . import platforms, variants
from .errors import ArmpyError


def make_relocatable(install, toolchain, build_paths):
    major_minor, abiflags = variants.of_install(install)
    platform = platforms.of(toolchain.target)
    python = os.path.basename(platform.layout(major_minor, abiflags)["python"])
    rewrite_shebangs(install, platform.SCRIPT_TRAMPOLINE.format(python=python))
    scrubber = Scrubber(toolchain, build_paths)
    for path in config_files(install, major_minor, abiflags):
        if os.path.basename(path).startswith("_sysconfigdata_"):
            scrub_sysconfigdata(path, scrubber)
        else:
            scrub_text_file(path, scrubber)


def rewrite_shebangs(install, trampoline):
    bindir = os.path.join(install, "bin")
    rewritten = []
    for name in sorted(os.listdir(bindir)):
        path = os.path.join(bindir, name)
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            head = f.readline()
            rest = f.read()
        if head.startswith(b"#!") and b"python" in head and head.strip() != b"#!/bin/sh":
            with open(path, "wb") as f:
                f.write(trampoline.encode() + rest)
            rewritten.append(path)
    update_records(install, rewritten)


def update_records(install, changed):
    """The RECORD of each installed package lists its files with their digests: those
    of scripts rewritten here are digested again. pip wrote them with the build's own
    interpreter path in the #! line, so the old digests also differed by build tree."""
    changed = {os.path.realpath(p) for p in changed}
    pattern = os.path.join(install, "lib", "python3*", "site-packages", "*.dist-info", "RECORD")
    for record in glob.glob(pattern):
        site_packages = os.path.dirname(os.path.dirname(record))
        with open(record, newline="") as f:
            lines = f.read().splitlines(keepends=True)
        for i, line in enumerate(lines):
            name, *_ = line.rstrip("\r\n").rsplit(",", 2)
            path = os.path.realpath(os.path.join(site_packages, name))
            if path in changed:
                with open(path, "rb") as f:
                    data = f.read()
                digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
                ending = line[len(line.rstrip("\r\n")):]
                lines[i] = f"{name},sha256={digest.decode()},{len(data)}{ending}"
        with open(record, "w", newline="") as f:
            f.writelines(lines)


def config_files(install, major_minor, abiflags):
    """The build configuration files of an install tree (symbolic links to them left
    out: a variant's python3.X-config names python3.Xt-config)."""
    lib = os.path.join(install, "lib")
    stdlib, config = variants.stdlib_name(major_minor, abiflags), f"config-{major_minor}{abiflags}"
    patterns = [f"{stdlib}/_sysconfigdata_*.py", f"{stdlib}/{config}*/Makefile",
                f"{stdlib}/{config}*/python-config.py", "pkgconfig/*.pc"]
    found = [p for pattern in patterns for p in glob.glob(os.path.join(lib, pattern))]
    found += glob.glob(os.path.join(install, "bin", f"python{major_minor}{abiflags}-config"))
    return sorted(p for p in found if not os.path.islink(p))


class Scrubber:
    """Rewrites one configuration value: drops build-path flags, renames tools."""

    def __init__(self, toolchain, build_paths):
        # The toolchain's own paths too (zig's headers, wherever its package is installed).
        self.build_paths = [p.rstrip("/") for p in [*build_paths, *toolchain.path_names]]
        user = toolchain.user_programs
        # Longest first, so "cc + flags" is replaced before a bare program path.
        renames = {" ".join(toolchain.cc): user["cc"], " ".join(toolchain.cxx): user["cxx"],
                   toolchain.ar: user["ar"], toolchain.ranlib: user["ranlib"]}
        self.renames = sorted(renames.items(), key=lambda kv: -len(kv[0]))
        # Our linker choice (e.g. lld) is not a requirement for users' extension builds.
        self.dropped = set(toolchain.ldflags)

    def mentions_build_path(self, text):
        return any(p in text for p in self.build_paths)

    def flags(self, value):
        for old, new in self.renames:
            value = value.replace(old, new)
        kept = [t for t in value.split(" ")
                if not self.mentions_build_path(t) and t not in self.dropped]
        return re.sub(r" {2,}", " ", " ".join(kept)).strip()

    def config_args(self, value):
        """CONFIG_ARGS is a shell-quoted list: scrub each argument's value."""
        out = []
        for arg in shlex.split(value):
            name, sep, rest = arg.partition("=")
            if sep and not self.mentions_build_path(name):
                rest = self.flags(rest)
                if not rest and self.mentions_build_path(arg):
                    continue
                arg = f"{name}={rest}"
            elif self.mentions_build_path(arg):
                continue
            out.append(arg)
        return " ".join(shlex.quote(a) for a in out)

    def value(self, name, value):
        if not isinstance(value, str):
            return value
        if name == "CONFIG_ARGS":
            return self.config_args(value)
        return self.flags(value)


def scrub_sysconfigdata(path, scrubber):
    """Rewrite `build_time_vars = {...}` with scrubbed values, deterministically."""
    with open(path) as f:
        text = f.read()
    prefix, _, literal = text.partition("build_time_vars = ")
    data = ast.literal_eval(literal)
    cleaned = {k: scrubber.value(k, v) for k, v in data.items()}
    with open(path, "w") as f:
        f.write(prefix + "build_time_vars = " + pprint.pformat(cleaned, width=100) + "\n")


def scrub_text_file(path, scrubber):
    """Makefile, python-config and .pc lines of the form NAME=value (or NAME: value).

    pkg-config files get a prefix relative to their own location, which
    pkg-config and pkgconf both resolve.
    """
    with open(path) as f:
        lines = f.read().split("\n")
    out = []
    for line in lines:
        if path.endswith(".pc") and line.startswith("prefix="):
            line = "prefix=${pcfiledir}/../.."
        match = re.match(r"^(\s*[A-Za-z_][A-Za-z0-9_.]*\s*[:+?]?=\s*|[\w.]+:\s)(.*)$", line)
        if match:
            name = match.group(1).split("=")[0].strip()
            value = (scrubber.config_args(match.group(2)) if name == "CONFIG_ARGS"
                     else scrubber.flags(match.group(2)))
            line = match.group(1) + value
        out.append(line)
    with open(path, "w") as f:
        f.write("\n".join(out))


def check_no_build_paths(root, build_paths):
    """Raise ArmpyError listing files under root that still name a build path."""
    offenders = files_mentioning(root, build_paths)
    if offenders:
        raise ArmpyError(f"build-machine paths remain in {len(offenders)} file(s): "
                         + ", ".join(offenders[:10]))


def files_mentioning(root, paths):
    """Files under root (relative, sorted) that contain any of `paths`: text,
    binaries, their debug information and bytecode alike."""
    needles = [p.rstrip("/").encode() for p in paths]
    offenders = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                continue
            with open(path, "rb") as f:
                data = f.read()
            if any(n in data for n in needles):
                offenders.append(os.path.relpath(path, root))
    return sorted(offenders)
