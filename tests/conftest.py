import json
import os
import shlex
import shutil
import signal
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


def interruptible():
    """preexec_fn of a program a test stops with SIGINT: SIGINT's default action, which
    the suite itself lacks when it runs as a background job of a non-interactive shell
    (SIGINT ignored, and the ignoring inherited)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def pytest_collection_modifyitems(items):
    """Whatever uses a real build is a `build` test, wherever it is written:
    `-m "not build"` then builds nothing."""
    for item in items:
        if {"artifact", "extracted", "darwin_artifact", "windows_artifact", "variant_artifact"} & \
                set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.build)


@pytest.fixture(scope="session")
def bzip2_source():
    """The real bzip2 source tarball, fetched and verified through the engine."""
    from armpy import recipes, sources
    recipe = recipes.load("bzip2")
    path, provider = sources.fetch(recipe.SOURCES, CACHE_DIR)
    return path, recipe


# The builds the suite makes and checks, as toolchain=build_options pairs. By default
# one: the release toolchain with pgo+lto, trained on the short task, which proves
# LTO, PGO under emulation, the glibc 2.17 floor and the stripped archive end to end
# within CI's hour (two toolchains' dependency builds do not fit beside it).
# ARMPY_TEST_BUILDS="zig=lto,gcc=pgo,clang=noopt" checks others with the same tests.
DEFAULT_TOOLCHAIN = TARGETS[DEFAULT_TARGET].toolchains[0]
BUILDS = dict(pair.split("=", 1) for pair in
              os.environ.get("ARMPY_TEST_BUILDS", f"{DEFAULT_TOOLCHAIN}=pgo+lto").split(","))
# Training task of the suite's pgo builds (CPython's full task is a release's).
PGO_TASK = os.environ.get("ARMPY_TEST_PGO_TASK", "short")
# Where the suite's builds keep their trees (build_dir); by default the one
# `./run build` uses, so that each reuses the other's work.
BUILD_DIR_ARGS = ([f"build_dir={os.environ['ARMPY_TEST_BUILD_DIR']}"]
                  if os.environ.get("ARMPY_TEST_BUILD_DIR") else [])


class Artifact:
    """One toolchain's real build, published by the default command into its own dist dir."""

    def __init__(self, dist, toolchain, build_options, target=DEFAULT_TARGET, tier=None):
        self.dist = dist
        self.toolchain = toolchain
        self.opts = options.resolve({"target": target, "toolchain": toolchain,
                                     "build_options": build_options, "pgo_task": PGO_TASK,
                                     "dist_dir": dist, **({"regrtest": tier} if tier else {})})
        names = package.artifact_names(self.opts)
        self.full = os.path.join(dist, names["full"])
        self.install_only = os.path.join(dist, names["install_only"])
        self.install_only_stripped = os.path.join(dist, names["install_only_stripped"])
        self.smoke = os.path.join(dist, names["smoke"])
        self.smoke_stripped = os.path.join(dist, names["smoke_stripped"])
        self.published_manifest = os.path.join(dist, names["manifest"])
        self.regrtest_summary = regrtest.summary_path(self.install_only, self.opts.regrtest)
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
    scons(f"toolchain={toolchain}", f"build_options={BUILDS[toolchain]}", f"pgo_task={PGO_TASK}",
          f"dist_dir={dist}", f"-j{options.PARALLEL_STEPS}", *BUILD_DIR_ARGS, timeout=3 * 3600)
    return Artifact(dist, toolchain, BUILDS[toolchain])


# The variant build the suite makes: free-threaded, with the release toolchain and
# no optimisation (the Linux build above proves those), sharing its dependency
# builds, through the regression suite's variant tier (the quick tier's files a
# variant changes; the Linux build above runs the whole quick tier on the same
# libraries). benchmarks/results/ has the quick tier of each variant.
# ARMPY_TEST_VARIANT=debug (or freethreaded+debug…) checks another,
# ARMPY_TEST_VARIANT_TIER=quick with the quick tier.
VARIANT_BUILD_OPTIONS = os.environ.get("ARMPY_TEST_VARIANT", "freethreaded+noopt")
VARIANT_TIER = os.environ.get("ARMPY_TEST_VARIANT_TIER", "variant")


@pytest.fixture(scope="session")
def variant_artifact(tmp_path_factory):
    dist = str(tmp_path_factory.mktemp("dist-variant"))
    scons(f"toolchain={DEFAULT_TOOLCHAIN}", f"build_options={VARIANT_BUILD_OPTIONS}",
          f"regrtest={VARIANT_TIER}", f"dist_dir={dist}", f"-j{options.PARALLEL_STEPS}",
          *BUILD_DIR_ARGS, timeout=3 * 3600)
    return Artifact(dist, DEFAULT_TOOLCHAIN, VARIANT_BUILD_OPTIONS, tier=VARIANT_TIER)


# The macOS build the suite makes: one build option is enough to prove the platform
# (dependencies, configure answers, Mach-O links, signatures, manifest); optimisation
# is proven on the Linux build.
DARWIN_TARGET = "aarch64-apple-darwin"
DARWIN_BUILD_OPTIONS = os.environ.get("ARMPY_TEST_DARWIN_BUILD_OPTIONS", "noopt")


@pytest.fixture(scope="session")
def darwin_artifact(tmp_path_factory):
    """aarch64-apple-darwin cross-built here with zig: never run, checked by structure."""
    dist = str(tmp_path_factory.mktemp("dist-darwin"))
    scons(f"target={DARWIN_TARGET}", f"build_options={DARWIN_BUILD_OPTIONS}", f"dist_dir={dist}",
          f"-j{options.PARALLEL_STEPS}", *BUILD_DIR_ARGS, timeout=3 * 3600)
    return Artifact(dist, TARGETS[DARWIN_TARGET].toolchains[0], DARWIN_BUILD_OPTIONS,
                    target=DARWIN_TARGET)


# The Windows build the suite makes: built here with zig, smoke-tested under Wine.
# Its quick regression tier under Wine does not fit in CI's hour beside the other
# builds: test_windows.py runs two of its files, benchmarks/results/ has the tier.
WINDOWS_TARGET = "aarch64-pc-windows-msvc"


@pytest.fixture(scope="session")
def windows_artifact(tmp_path_factory):
    """aarch64-pc-windows-msvc cross-built here with zig, smoke-tested under Wine."""
    dist = str(tmp_path_factory.mktemp("dist-windows"))
    scons(f"target={WINDOWS_TARGET}", f"dist_dir={dist}", "regrtest=none", f"-j{options.PARALLEL_STEPS}",
          *BUILD_DIR_ARGS, timeout=3 * 3600)
    target = TARGETS[WINDOWS_TARGET]
    return Artifact(dist, target.toolchains[0], target.build_options, target=WINDOWS_TARGET)


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
PyMODINIT_FUNC PyInit_@NAME@(void) {
    PyObject *m = PyModule_Create(&module);
@GIL@    return m;
}
"""
# What a module safe without the GIL adds (a free-threaded build keeps the GIL off).
GIL_NOT_USED = "    if (m && PyUnstable_Module_SetGIL(m, Py_MOD_GIL_NOT_USED) < 0) return NULL;\n"


def target_cc(toolchain):
    """The compiler command PYTHON.json records (armpy.toolchain), runnable on this host:
    "zig" is the zig of the ziglang package, <armpy> this checkout."""
    cc = [a.replace("<armpy>", ROOT) for a in shlex.split(toolchain["cc"])]
    cc += shlex.split(toolchain["ldflags"])
    if cc[0] == "zig":
        import ziglang
        cc[0] = os.path.join(os.path.dirname(ziglang.__file__), "zig")
    return cc


def extension_source(name, gil_not_used=False):
    """C source of a small extension module `name` with one function, add(a, b)."""
    return EXTENSION_SOURCE.replace("@NAME@", name).replace("@GIL@",
                                                            GIL_NOT_USED if gil_not_used else "")


@pytest.fixture(scope="session")
def cpython_source(tmp_path_factory):
    """The pinned CPython source tree with armpy's patches applied, as builds see it."""
    from armpy import builder, recipes
    recipe, entry = recipes.cpython_version(recipes.load("cpython").VERSION)
    srcdir = str(tmp_path_factory.mktemp("cpython-source") / "cpython")
    builder.prepare_source(recipe, entry.sources, cache_dir=CACHE_DIR, srcdir=srcdir,
                           log_path=srcdir + ".log", version=entry.version)
    return srcdir
