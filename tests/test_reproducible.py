"""Two clean builds of the same options, from checkouts in two directories and at two
times, publish byte-identical archives and SBOMs.

The second build shares only the verified source cache with the first: its own copy of
the checkout, its own build tree (dependencies, build-python, zig's cache) and dist/.
The macOS build is the suite's cheapest whole build; the Linux and Windows results
are in benchmarks/results/.
"""
import os
import shutil
import subprocess
import sys

from armpy import archives, options, package
from conftest import CACHE_DIR, DARWIN_BUILD_OPTIONS, DARWIN_TARGET, ROOT

# What a copy of the checkout leaves out: build outputs, caches, the venv.
NOT_CHECKOUT = {".git", ".venv", ".cache", "build", "dist", ".pytest_cache"}


def copy_checkout(dest):
    def ignore(folder, names):
        top = os.path.abspath(folder) == ROOT
        return [n for n in names if n == "__pycache__" or (top and n in NOT_CHECKOUT)]
    shutil.copytree(ROOT, dest, symlinks=True, ignore=ignore)


def test_two_clean_builds_from_two_checkouts_give_the_same_bytes(darwin_artifact, tmp_path):
    checkout = tmp_path / "second-checkout"
    copy_checkout(checkout)
    dist = tmp_path / "dist"
    command = [os.path.join(os.path.dirname(sys.executable), "scons"), "-Q", "-C", str(checkout),
               f"-j{options.PARALLEL_STEPS}", f"target={DARWIN_TARGET}",
               f"build_options={DARWIN_BUILD_OPTIONS}", f"dist_dir={dist}",
               f"build_dir={tmp_path / 'build'}", f"cache_dir={CACHE_DIR}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=3 * 3600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    names = package.artifact_names(darwin_artifact.opts)
    differing = {}
    for kind in package.SUMMED:
        first = os.path.join(darwin_artifact.dist, names[kind])
        second = os.path.join(dist, names[kind])
        with open(first, "rb") as a, open(second, "rb") as b:
            if a.read() != b.read():
                differing[names[kind]] = (archives.differing_members(first, second)[:10]
                                          if kind in package.ARCHIVES else "(SBOM)")
    assert not differing, f"archives differ between the two builds: {differing}"
