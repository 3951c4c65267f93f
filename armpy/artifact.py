"""A packaged artifact as a test run sees it: checked, then extracted, never trusted blindly.

Both archive layouts carry python/PYTHON.json. In the full archive the
interpreter lives under python/install/; in the install_only archive the
same tree is python/ itself. Paths in PYTHON.json are written for the full
layout ("install/bin/python3.13") and are mapped here.
"""
import json
import os
import tarfile
import zlib
from dataclasses import dataclass

from . import archives, manifest
from .errors import ArmpyError

MANIFEST_MEMBER = "python/PYTHON.json"


@dataclass(frozen=True)
class Artifact:
    path: str
    manifest: dict
    layout: str          # "full" or "install_only"
    members: tuple = ()  # the archive's member names

    def install_root(self, extracted):
        """The interpreter's prefix inside a directory this artifact was extracted into."""
        python = os.path.join(extracted, "python")
        return os.path.join(python, "install") if self.layout == "full" else python

    def interpreter(self, extracted):
        relative = self.manifest["python_exe"].split("/", 1)[1]   # drop "install/"
        return os.path.join(self.install_root(extracted), relative)


def inspect(path):
    """Check that `path` is an armpy archive with a valid PYTHON.json; nothing is extracted."""
    if not os.path.isfile(path):
        raise ArmpyError(f"{path}: no such archive")
    with archives.open_tar(path) as tar:
        try:
            members = tar.getmembers()
        except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
            raise ArmpyError(f"{path}: truncated or corrupt archive ({error})") from None
        archives.check_members(members, path)
        by_name = {m.name: m for m in members}
        member = by_name.get(MANIFEST_MEMBER)
        if member is None or not member.isreg():
            raise ArmpyError(f"{path}: no {MANIFEST_MEMBER}, so not an armpy archive "
                             "(expected a -full.tar.zst or -install_only.tar.gz from armpy)")
        try:
            document = json.load(tar.extractfile(member))
        except (ValueError, OSError) as error:
            raise ArmpyError(f"{path}: {MANIFEST_MEMBER} is not valid JSON ({error})") from None
        if not isinstance(document, dict) or "armpy" not in document:
            raise ArmpyError(f"{path}: {MANIFEST_MEMBER} was not written by armpy "
                             "(no 'armpy' block)")
        manifest.validate(document)
        layout = "full" if any(n.startswith("python/install/") for n in by_name) \
            else "install_only"
    return Artifact(path=os.path.abspath(path), manifest=document, layout=layout,
                    members=tuple(by_name))


def extract(artifact, dest):
    """Extract into `dest` and return the interpreter's path there."""
    archives.extract(artifact.path, dest)
    python = artifact.interpreter(dest)
    if not os.path.isfile(python):
        raise ArmpyError(f"{artifact.path}: PYTHON.json names {artifact.manifest['python_exe']}, "
                         "which the archive does not contain")
    return python
