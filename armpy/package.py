"""Turning an install tree into the published archives.

Layouts follow the standalone-CPython conventions tools already read:
  …-{build_options}-full.tar.zst   python/PYTHON.json (first), python/install/…, python/licenses/…
  …-install_only.tar.gz            python/PYTHON.json (first), python/bin/python3 …, python/licenses/…
  …-install_only_stripped.tar.gz   the same without debug information
An archive is listed in SHA256SUMS (releasable) unless a regression-test
summary in the same directory records unexpected failures for it.
"""
import glob
import json
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


def failing_archives(dist_dir):
    """Archives that a regression-test summary in dist_dir records as failing."""
    failing = set()
    for path in glob.glob(os.path.join(dist_dir, "*.regrtest-*.json")):
        with open(path) as f:
            summary = json.load(f)
        if not summary.get("passed", False):
            failing.update(summary.get("artifacts", []))
    return failing


def write_sha256sums(dist_dir):
    """SHA256SUMS over every releasable archive in dist_dir, written atomically."""
    excluded = failing_archives(dist_dir)
    names = sorted(n for n in os.listdir(dist_dir)
                   if n.endswith((".tar.zst", ".tar.gz")) and n not in excluded)
    lines = [f"{sha256_of(os.path.join(dist_dir, n))}  {n}\n" for n in names]
    tmp = os.path.join(dist_dir, f".{SHA256SUMS}.tmp")
    with open(tmp, "w") as f:
        f.writelines(lines)
    os.replace(tmp, os.path.join(dist_dir, SHA256SUMS))
