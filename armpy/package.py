"""Turning an install tree into the published archives.

Layouts follow the standalone-CPython conventions tools already read:
  …-{build_options}-full.tar.zst   python/PYTHON.json (first), python/install/…, python/licenses/…,
                                   python/sbom.spdx.json, and a pgo build's profile in
                                   python/build/pgo/ (armpy/pgo.py)
  …-install_only.tar.gz            python/PYTHON.json (first), python/bin/python3 …, python/licenses/…
  …-install_only_stripped.tar.gz   the same without debug information
A variant's install_only archives name it: …-freethreaded-install_only.tar.gz,
…-debug-install_only.tar.gz (the full archive's build_options already do).
Each archive has its SBOM beside it (`<archive>.spdx.json`). An archive and its SBOM
are listed in SHA256SUMS (releasable) unless its own build's or a later run of the
regression suite on it found unexpected failures.
"""
import os

from . import archives, variants
from .sources import sha256_of


# The archives, in the order of their roles; each has an SBOM named after it.
ARCHIVES = ("full", "install_only", "install_only_stripped")
SBOMS = tuple(f"{kind}_sbom" for kind in ARCHIVES)
SUMMED = ARCHIVES + SBOMS      # what SHA256SUMS lists of a releasable build
SBOM_SUFFIX = ".spdx.json"
# Where the full archive of a pgo build keeps the profile the build read.
PGO_PROFILE_DIR = "python/build/pgo"


def artifact_names(opts):
    stem = f"cpython-{opts.python}+{opts.build_tag}-{opts.target.triple}"
    variant = variants.name_of(opts.build_options)
    install_only = f"{stem}-{variant}-install_only" if variant else f"{stem}-install_only"
    names = {"full": f"{stem}-{opts.build_options}-full.tar.zst",
             "install_only": f"{install_only}.tar.gz",
             "install_only_stripped": f"{install_only}_stripped.tar.gz",
             "smoke": f"{install_only}.smoke.json",
             "smoke_stripped": f"{install_only}_stripped.smoke.json",
             "manifest": f"{stem}-{opts.build_options}-full.PYTHON.json"}
    return names | {f"{kind}_sbom": names[kind] + SBOM_SUFFIX for kind in ARCHIVES}


def license_entries(licenses_dir):
    return [(licenses_dir, rel, f"python/licenses/{rel}")
            for rel in archives.walk_files(licenses_dir)]


def write_full(path, manifest_path, install, licenses_dir, sbom_path, profile_dir=None):
    entries = [(install, rel, f"python/install/{rel}") for rel in archives.walk_files(install)]
    entries += license_entries(licenses_dir)
    entries.append((os.path.dirname(sbom_path), os.path.basename(sbom_path),
                    "python/sbom.spdx.json"))
    if profile_dir:
        entries += [(profile_dir, rel, f"{PGO_PROFILE_DIR}/{rel}")
                    for rel in archives.walk_files(profile_dir)]
    # PYTHON.json first, for readers that stop there; the rest in name order.
    manifest_entry = (os.path.dirname(manifest_path), os.path.basename(manifest_path),
                      "python/PYTHON.json")
    archives.write_tar_zst(path, [manifest_entry, *sorted(entries, key=lambda e: e[2])])


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
    entries = read_sha256sums(dist_dir)
    for name in withdrawn:
        entries.pop(name, None)
    for name in releasable:
        entries[name] = sha256_of(os.path.join(dist_dir, name))
    write_entries(dist_dir, entries)


def write_sha256sums(dist_dir, names):
    """SHA256SUMS naming exactly `names` (files of dist_dir), with their digests now."""
    write_entries(dist_dir, {name: sha256_of(os.path.join(dist_dir, name)) for name in names})


def read_sha256sums(dist_dir):
    """{name: digest} of dist_dir's SHA256SUMS, for the files that are still there."""
    entries = {}
    path = os.path.join(dist_dir, SHA256SUMS)
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                digest, _, name = line.rstrip("\n").partition("  ")
                if os.path.exists(os.path.join(dist_dir, name)):
                    entries[name] = digest
    return entries


def write_entries(dist_dir, entries):
    tmp = os.path.join(dist_dir, f".{SHA256SUMS}.tmp")
    with open(tmp, "w") as f:
        f.writelines(f"{entries[name]}  {name}\n" for name in sorted(entries))
    os.replace(tmp, os.path.join(dist_dir, SHA256SUMS))
