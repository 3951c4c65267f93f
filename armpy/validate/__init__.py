"""Validating artifacts: every binary against its target's rules (ELF, Mach-O, PE),
and a distribution's PYTHON.json against its files.

`check_tree` is what the build runs before packaging; `check_path` takes any
archive, wheel or directory (`./run validate PATH`, `python -m armpy.validate`).
"""
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field

from . import distribution, elf_checks, inputs, macho_checks, pe_checks, rules
from .. import elf
from ..errors import ArmpyError
from .binaries import format_of
from .rules import Declared, Violation

CHECKS = {"elf": elf_checks.check, "macho": macho_checks.check, "pe": pe_checks.check}


@dataclass
class Report:
    target: str
    declared: dict
    checked: dict = field(default_factory=dict)     # format -> number of files checked
    other_formats: int = 0                          # binaries for other platforms (ignored)
    glibc_required: str = ""                        # highest GLIBC_x.y any ELF file needs
    violations: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self):
        return not self.violations

    def summary(self):
        counts = ", ".join(f"{n} {fmt.upper()}" for fmt, n in sorted(self.checked.items()))
        return (f"{'passed' if self.passed else 'FAILED'}: {self.target}, "
                f"{counts or 'no'} binaries checked"
                + (f", {self.other_formats} for other platforms ignored" if self.other_formats
                   else "")
                + (f", needs glibc >= {self.glibc_required}" if self.glibc_required else "")
                + f", {len(self.violations)} violation(s), {self.seconds:.1f} s")

    def to_json(self):
        return asdict(self) | {"passed": self.passed}


def check_binaries(root, target_rules, declared, report):
    """Every binary under root against the rules of its format; others are counted."""
    for dirpath, dirnames, files in os.walk(root):
        dirnames.sort()
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            kind = format_of(path)
            if kind is None:
                continue
            if kind != target_rules["target"].binary_format:
                report.other_formats += 1     # e.g. pip's Windows launchers in a Linux tree
                continue
            report.checked[kind] = report.checked.get(kind, 0) + 1
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            found = CHECKS[kind](path, rel, root, target_rules, declared)
            report.violations += found
            needed = getattr(found, "glibc_needed", None)
            if needed and needed > rules.version_tuple(report.glibc_required or "0"):
                report.glibc_required = elf.format_version(needed)


def declared_for(document, target, overrides):
    """The floor and deployment target an artifact declares; the caller's values win."""
    armpy = document.get("armpy", {}) if document else {}
    facts = {"glibc_floor": armpy.get("toolchain", {}).get("glibc_floor") or "",
             "deployment_target": (document or {}).get("apple_sdk_deployment_target", "")}
    facts |= {k: v for k, v in overrides.items() if v}
    return Declared(target=target, **facts)


def check_tree(document, install_root, python_dir, build_paths=(), install_label="install",
               **overrides):
    """A distribution laid out on disk: its binaries and its PYTHON.json. Paths in
    the report are as the archive shows them, the install root named install_label."""
    started = time.monotonic()
    target = document.get("target_triple", "")
    target_rules = rules.load(target)
    declared = declared_for(document, target, overrides)
    report = Report(target=target, declared=asdict(declared))
    check_binaries(install_root, target_rules, declared, report)
    if install_label:
        report.violations = [Violation(f"{install_label}/{v.path}", v.rule, v.message)
                             for v in report.violations]
    report.violations += distribution.check(document, install_root, python_dir, target_rules,
                                            report.glibc_required, build_paths, install_label)
    report.seconds = time.monotonic() - started
    return report


def check_path(path, target="", build_paths=(), **overrides):
    """Any archive, wheel or directory. Bad input raises ArmpyError (one line)."""
    with tempfile.TemporaryDirectory(prefix="armpy-validate-") as scratch:
        unpacked = inputs.unpack(path, scratch)
        if unpacked.document is not None:
            if target and target != unpacked.target:
                raise ArmpyError(f"{path}: PYTHON.json says target {unpacked.target}, "
                                 f"not {target}")
            rules.load(unpacked.target)     # an unknown target is bad input, not a violation
            label = os.path.relpath(unpacked.install_root, unpacked.python_dir)
            return check_tree(unpacked.document, unpacked.install_root, unpacked.python_dir,
                              build_paths, "" if label == "." else label, **overrides)
        target = target or unpacked.target
        if not target:
            raise ArmpyError(f"{path}: cannot tell its target (no PYTHON.json, no Arm wheel "
                             f"platform tag); pass --target (valid: {', '.join(rules.targets())})")
        started = time.monotonic()
        declared = declared_for(None, target, (unpacked.declares or {}) | overrides)
        report = Report(target=target, declared=asdict(declared))
        check_binaries(unpacked.root, rules.load(target), declared, report)
        report.seconds = time.monotonic() - started
        return report
