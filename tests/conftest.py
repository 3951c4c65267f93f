import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
CACHE_DIR = os.path.join(ROOT, ".cache", "sources")


def scons(*args, env=None, check=True, timeout=3600):
    """Run the project's real SCons build with the given name=value options."""
    command = [os.path.join(os.path.dirname(sys.executable), "scons"), "-Q", "-C", ROOT, *args]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"scons {' '.join(args)} failed:\n{result.stdout[-3000:]}\n"
                             f"{result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="session")
def bzip2_source():
    """The real bzip2 source tarball, fetched and verified through the engine."""
    from armpy import recipes, sources
    recipe = recipes.load("bzip2")
    path, provider = sources.fetch(recipe.SOURCES, CACHE_DIR)
    return path, recipe
