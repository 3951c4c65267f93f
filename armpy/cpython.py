"""Building CPython: the host build-python, then the target interpreter.

Cross builds need a build-python of the same version to run CPython's own
build scripts; it is built here from the same verified source.
"""
import glob
import os
import re
import shutil
import subprocess

from . import builder, elf, recipes, relocate
from .errors import ArmpyError
from .toolchain import Toolchain, first_line_of


# bin/python3.X links libpython's objects in, as Debian's interpreter does, so that
# a copy of it (venv --copies) starts without lib/ beside it; libpython3.X.so is
# still built and installed for programs that embed Python.
STATIC_INTERPRETER = ["LINK_PYTHON_OBJS=$(LIBRARY_OBJS)",
                      "LINK_PYTHON_DEPS=$(LIBRARY_DEPS) $(LIBRARY_OBJS)"]


def host_toolchain():
    return Toolchain(name="host", target=None, cross=False, cc=("gcc",), cxx=("g++",),
                     ar="ar", ranlib="ranlib", version=first_line_of(["gcc"]),
                     user_programs={"cc": "gcc", "cxx": "g++", "ar": "ar", "ranlib": "ranlib"})


def recipe_and_version(python):
    recipe = recipes.load("cpython")
    for entry in recipe.VERSIONS.values():
        if entry.version == python:
            return recipe, entry
    raise ArmpyError(f"no CPython {python} in recipes/cpython.py")


def build_host_python(python, workdir, prefix, cache_dir, jobs):
    """A host interpreter to run CPython's build scripts for a cross build.

    Built from the pristine pinned source: it is a build tool, and our patches
    concern the distributed interpreter only.
    """
    recipe, entry = recipe_and_version(python)
    shutil.rmtree(prefix, ignore_errors=True)
    os.makedirs(workdir, exist_ok=True)
    log_path = os.path.join(workdir, "host-python.log")
    srcdir = os.path.join(workdir, "host-python")
    source = builder.prepare_source(recipe, entry.sources, cache_dir, srcdir, log_path,
                                    patch=False)
    b = builder.Builder(recipe, host_toolchain(), srcdir, prefix, {}, jobs, log_path)
    b.run(["./configure", f"--prefix={prefix}", "--without-ensurepip"])
    b.make()
    b.make("install")
    shutil.rmtree(srcdir)
    builder.write_json(os.path.join(prefix, "component.json"),
                       builder.component_metadata(recipe, source) | {"version": python})


def build_target_python(opts, toolchain, host_python, dep_prefixes, workdir, stage):
    """Configure, build and install CPython for the target into `stage` (DESTDIR).

    Returns the component metadata plus the configure arguments used.
    """
    recipe, entry = recipe_and_version(opts.python)
    shutil.rmtree(stage, ignore_errors=True)
    os.makedirs(workdir, exist_ok=True)
    log_path = os.path.join(workdir, "cpython.log")
    if os.path.exists(log_path):
        os.unlink(log_path)
    srcdir = os.path.join(workdir, "cpython")
    source = builder.prepare_source(recipe, entry.sources, cache_dir=opts.cache_dir,
                                    srcdir=srcdir, log_path=log_path, version=opts.python)
    # CPython chooses its own optimisation flags (-O3, and -fPIC where needed).
    b = builder.Builder(recipe, toolchain, srcdir, "/install", dep_prefixes, opts.jobs, log_path,
                        base_cflags=[])
    args = recipe.configure_args(toolchain.target, opts.build_options, toolchain.cross)
    if toolchain.cross:
        args += [f"--build={host_triple()}", f"--host={toolchain.target.gnu_triple}",
                 f"--with-build-python={host_python}"]
    # Static dependencies list their own dependencies (e.g. -lm) only as
    # private libraries; without --static those modules fail to link.
    b.run(["./configure", *args], env={"PKG_CONFIG": "pkg-config --static"})
    b.make(*STATIC_INTERPRETER, *toolchain.make_vars)
    missing = missing_extensions(srcdir, recipe.REQUIRED_EXTENSIONS)
    if missing:
        raise ArmpyError(f"cpython: required extension modules not built: {', '.join(missing)}; "
                         f"see 'checksharedmods' in {log_path}")
    b.make("install", f"DESTDIR={stage}", *STATIC_INTERPRETER, *toolchain.make_vars)
    major_minor = opts.python.rsplit(".", 1)[0]
    python = os.path.join(stage, "install", "bin", f"python{major_minor}")
    linked = [n for n in elf.needed_libraries(python) if n.startswith("libpython")]
    if linked:
        raise ArmpyError(f"cpython: bin/python{major_minor} needs {linked[0]}; it should have "
                         f"libpython linked in (see STATIC_INTERPRETER in {__file__})")
    relocate.set_interpreter_rpath(os.path.join(stage, "install"), major_minor)
    b.run([*toolchain.runner(), python, "-m", "ensurepip", "--default-pip"], cwd=stage)
    shutil.rmtree(srcdir)
    # Recorded without this machine's path to the build-python.
    recorded = [a if not a.startswith("--with-build-python=")
                else f"--with-build-python=python{major_minor}" for a in args]
    return builder.component_metadata(recipe, source) | {
        "version": opts.python, "configure_args": recorded}


def host_triple():
    out = subprocess.run(["gcc", "-dumpmachine"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def missing_extensions(srcdir, required):
    """Required modules that are neither built in nor built as shared libraries."""
    with open(os.path.join(srcdir, "Modules", "config.c")) as f:
        builtin = set(re.findall(r'\{"(\w+)", PyInit_', f.read()))
    with open(os.path.join(srcdir, "pybuilddir.txt")) as f:
        shared_dir = os.path.join(srcdir, f.read().strip())
    shared = {os.path.basename(p).split(".", 1)[0]
              for p in glob.glob(os.path.join(shared_dir, "*.so"))}
    return sorted(set(required) - builtin - shared)
