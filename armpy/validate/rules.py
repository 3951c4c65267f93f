"""Validation rules: the per-target data files, and what a violation is.

The rules live in validation/<target triple>.toml, one file per target, beside
the target's facts in targets.toml (binary format, platform tag, extension
suffix, glibc floor or deployment target); the checks in this package only
interpret them.
"""
import os
from dataclasses import dataclass

from ..errors import ArmpyError
from ..recipes import ROOT
from ..skiplist import tomllib
from ..targets import TARGETS

RULES_DIR = os.path.join(ROOT, "validation")


@dataclass(frozen=True)
class Violation:
    path: str        # relative to the artifact's root
    rule: str
    message: str

    def __str__(self):
        return f"{self.path}: {self.rule}: {self.message}"


class Findings(list):
    """The violations found in one file; `add(rule, message)` records one."""

    def __init__(self, path):
        super().__init__()
        self.path = path
        self.glibc_needed = None    # ELF: highest GLIBC version the file needs, if any

    def add(self, rule, message):
        self.append(Violation(self.path, rule, message))


@dataclass(frozen=True)
class Declared:
    """What the artifact says it is, against which its binaries are judged."""
    target: str
    glibc_floor: str = ""          # Linux: highest GLIBC_x.y a binary may require
    deployment_target: str = ""    # macOS: LC_BUILD_VERSION minimum OS


def targets():
    return sorted(TARGETS)


def load(target):
    """The rules of `target`, with its Target (targets.toml) under "target"."""
    path = os.path.join(RULES_DIR, f"{target}.toml")
    if target not in TARGETS:
        raise ArmpyError(f"no validation rules for target '{target}' "
                         f"(valid: {', '.join(targets())})")
    try:
        with open(path, "rb") as f:
            return tomllib.load(f) | {"target": TARGETS[target]}
    except OSError as error:
        raise ArmpyError(f"{path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ArmpyError(f"{path}: {error}") from None


def version_tuple(text):
    """'2.17' -> (2, 17, 0), for comparisons."""
    parts = [int(p) for p in str(text).split(".")]
    return tuple(parts + [0] * (3 - len(parts)))[:3]
