import json
import os
import shlex
import shutil
import subprocess
import sys
import tarfile

import pytest
import zstandard

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from armpy import archives, options, package, regrtest  # noqa: E402
from armpy.targets import DEFAULT_TARGET, TARGETS  # noqa: E402
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


# The default toolchain builds the README's default artifact; gcc builds noopt, so both
# option sets and both compiler families are covered and CI stays inside its time.
DEFAULT_TOOLCHAIN = TARGETS[DEFAULT_TARGET].toolchains[0]
BUILDS = {DEFAULT_TOOLCHAIN: options.DEFAULT_BUILD_OPTIONS, "gcc": "noopt"}


class Artifact:
    """One toolchain's real build, published by the default command into its own dist dir."""

    def __init__(self, dist, toolchain, build_options):
        self.dist = dist
        self.toolchain = toolchain
        self.opts = options.resolve({"toolchain": toolchain, "build_options": build_options,
                                     "dist_dir": dist})
        names = package.artifact_names(self.opts)
        self.full = os.path.join(dist, names["full"])
        self.install_only = os.path.join(dist, names["install_only"])
        self.smoke = os.path.join(dist, names["smoke"])
        self.published_manifest = os.path.join(dist, names["manifest"])
        self.regrtest_summary = regrtest.summary_path(self.install_only, "quick")
        with tarfile.open(fileobj=zstd_reader(self.full), mode="r|") as tar:
            first = tar.next()
            self.first_member = first.name
            self.manifest = json.load(tar.extractfile(first))


def zstd_reader(path):
    return zstandard.ZstdDecompressor().stream_reader(open(path, "rb"))


@pytest.fixture(scope="session", params=sorted(BUILDS))
def artifact(request, tmp_path_factory):
    toolchain = request.param
    dist = str(tmp_path_factory.mktemp(f"dist-{toolchain}"))
    scons(f"toolchain={toolchain}", f"build_options={BUILDS[toolchain]}", f"dist_dir={dist}",
          f"-j{os.cpu_count()}", timeout=3 * 3600)
    return Artifact(dist, toolchain, BUILDS[toolchain])


@pytest.fixture
def extracted(artifact, tmp_path):
    """The install_only archive extracted under a path with a space, then moved elsewhere."""
    first = tmp_path / "first place"
    first.mkdir()
    archives.extract(artifact.install_only, str(first))
    moved = tmp_path / "moved here" / "py thon"
    moved.parent.mkdir()
    shutil.move(str(first / "python"), str(moved))
    return moved


def run_python(python, *args, **kwargs):
    # A clean environment: the interpreter must find everything on its own.
    return subprocess.run([str(python), *args], env=kwargs.pop("env", {}), capture_output=True,
                          text=True, timeout=kwargs.pop("timeout", 600), **kwargs)


EXTENSION_SOURCE = r"""
#include <Python.h>
static PyObject *add(PyObject *self, PyObject *args) {
    long a, b;
    if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
    return PyLong_FromLong(a + b);
}
static PyMethodDef methods[] = {{"add", add, METH_VARARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "@NAME@", NULL, -1, methods};
PyMODINIT_FUNC PyInit_@NAME@(void) { return PyModule_Create(&module); }
"""


def target_cc(toolchain):
    """The compiler command PYTHON.json records (armpy.toolchain), runnable on this host:
    "zig" is the zig of the ziglang package."""
    cc = shlex.split(toolchain["cc"]) + shlex.split(toolchain["ldflags"])
    if cc[0] == "zig":
        import ziglang
        cc[0] = os.path.join(os.path.dirname(ziglang.__file__), "zig")
    return cc


def extension_source(name):
    """C source of a small extension module `name` with one function, add(a, b)."""
    return EXTENSION_SOURCE.replace("@NAME@", name)
