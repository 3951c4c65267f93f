"""What the validator is given: an archive, a wheel or a directory, unpacked safely.

An armpy or python-build-standalone archive (python/PYTHON.json inside) is a
distribution; a wheel, or a directory without PYTHON.json, is a set of
binaries whose target comes from the wheel's platform tag or the caller.
Nothing from the input is ever executed.
"""
import json
import os
import tarfile
import zipfile
import zlib
from dataclasses import dataclass

from .. import archives, targets
from ..errors import ArmpyError

@dataclass
class Unpacked:
    root: str                # where the files are
    document: dict = None    # PYTHON.json, for a distribution
    python_dir: str = ""     # the directory holding PYTHON.json
    install_root: str = ""
    target: str = ""         # from the document or a wheel tag
    declares: dict = None    # glibc_floor / deployment_target from a wheel tag


def unpack(path, dest):
    """Unpack `path` into the empty directory `dest` (or use it in place if a directory)."""
    if os.path.isdir(path):
        return describe(path)
    if not os.path.isfile(path):
        raise ArmpyError(f"{path}: no such file or directory")
    if zipfile.is_zipfile(path):
        wheel = wheel_target(path)
        archives.extract_zip(path, dest)
        return Unpacked(root=dest, target=wheel[0], declares=wheel[1])
    with archives.open_tar(path) as tar:
        try:
            members = tar.getmembers()
        except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
            raise ArmpyError(f"{path}: truncated or corrupt archive ({error})") from None
        archives.check_members(members, path)    # unsafe members are named first
        if not any(m.name == "python/PYTHON.json" and m.isreg() for m in members):
            raise ArmpyError(f"{path}: no python/PYTHON.json, so not a Python distribution "
                             "(expected an armpy or python-build-standalone archive, or a wheel)")
    archives.extract(path, dest)
    return describe(dest)


def describe(root):
    """A directory: a distribution if it (or its python/) holds PYTHON.json."""
    for python_dir in (os.path.join(root, "python"), root):
        manifest_path = os.path.join(python_dir, "PYTHON.json")
        if os.path.isfile(manifest_path):
            try:
                with open(manifest_path) as f:
                    document = json.load(f)
            except ValueError as error:
                raise ArmpyError(f"{manifest_path}: not valid JSON ({error})") from None
            if not isinstance(document, dict) or "target_triple" not in document:
                raise ArmpyError(f"{manifest_path}: no target_triple, so not a distribution's "
                                 "PYTHON.json")
            full = os.path.isdir(os.path.join(python_dir, "install"))
            return Unpacked(root=root, document=document, python_dir=python_dir,
                            install_root=os.path.join(python_dir, "install") if full
                            else python_dir, target=document["target_triple"])
    return Unpacked(root=root)


def wheel_target(path):
    """(target, declared facts) from a wheel's file name; ('', {}) if it names no Arm platform."""
    name = os.path.basename(path)
    if not name.endswith(".whl"):
        raise ArmpyError(f"{path}: a zip file but not a wheel (expected NAME-VERSION-PY-ABI-"
                         "PLATFORM.whl)")
    for platform in name[:-len(".whl")].split("-")[-1].split("."):
        triple, declared = targets.for_wheel_tag(platform)
        if triple:
            return triple, declared
    return "", {}
