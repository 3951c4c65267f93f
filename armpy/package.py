"""Turning an install tree into the published archives.

Layouts follow the standalone-CPython conventions tools already read:
  …-{build_options}-full.tar.zst   python/PYTHON.json (first), python/install/…, python/licenses/…
  …-install_only.tar.gz            python/PYTHON.json (first), python/bin/python3 …, python/licenses/…
  …-install_only_stripped.tar.gz   the same without debug information
An archive is listed in SHA256SUMS (releasable) unless its own build's or a
later run of the regression suite on it found unexpected failures.
"""
import os

from . import archives
from .sources import sha256_of


def artifact_names(opts):
    stem = f"cpython-{opts.python}+{opts.build_tag}-{opts.target.triple}"
    return {"full": f"{stem}-{opts.build_options}-full.tar.zst",
            "install_only": f"{stem}-install_only.tar.gz",
            "install_only_stripped": f"{stem}-install_only_stripped.tar.gz",
            "smoke": f"{stem}-install_only.smoke.json",
            "smoke_stripped": f"{stem}-install_only_stripped.smoke.json",
            "manifest": f"{stem}-{opts.build_options}-full.PYTHON.json"}


def license_entries(licenses_dir):
    return [(licenses_dir, rel, f"python/licenses/{rel}")
            for rel in archives.walk_files(licenses_dir)]


def write_full(path, manifest_path, install, licenses_dir):
    entries = [(os.path.dirname(manifest_path), os.path.basename(manifest_path),
                "python/PYTHON.json")]
    entries += [(install, rel, f"python/install/{rel}") for rel in archives.walk_files(install)]
    entries += license_entries(licenses_dir)
    archives.write_tar_zst(path, entries)


def write_install_only(path, manifest_path, install, licenses_dir):
    # PYTHON.json describes the same tree; its "install/" paths map to python/ here.
    entries = [(os.path.dirname(manifest_path), os.path.basename(manifest_path),
                "python/PYTHON.json")]
    entries += [(install, rel, f"python/{rel}") for rel in archives.walk_files(install)]
    entries += license_entries(licenses_dir)
    archives.write_tar_gz(path, entries)

SHA256SUMS = "SHA256SUMS"


def update_sha256sums(dist_dir, releasable=(), withdrawn=()):
    """Rewrite dist_dir's SHA256SUMS (atomically): the archives named in `releasable`
    are listed with their digests, those in `withdrawn` are not, and every other line
    stays as earlier builds and test runs left it, while its archive is still there.
    Each build or test run answers for its own archives only: a stale summary in
    dist_dir can neither hide a passing archive nor list a failing one."""
    path = os.path.join(dist_dir, SHA256SUMS)
    entries = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                digest, _, name = line.rstrip("\n").partition("  ")
                if os.path.exists(os.path.join(dist_dir, name)):
                    entries[name] = digest
    for name in withdrawn:
        entries.pop(name, None)
    for name in releasable:
        entries[name] = sha256_of(os.path.join(dist_dir, name))
    tmp = os.path.join(dist_dir, f".{SHA256SUMS}.tmp")
    with open(tmp, "w") as f:
        f.writelines(f"{entries[name]}  {name}\n" for name in sorted(entries))
    os.replace(tmp, path)
