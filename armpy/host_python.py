"""The build-python: a host interpreter of the target's CPython version.

Cross builds need it to run CPython's own build scripts; it is built here from
the same verified source, once per version, and shared by every target.
"""
import os
import shutil

from . import builder, recipes
from .toolchain import Toolchain, first_line_of


def host_toolchain():
    return Toolchain(name="host", target=None, cross=False, cc=("gcc",), cxx=("g++",),
                     ar="ar", ranlib="ranlib", version=first_line_of(["gcc"]),
                     user_programs={"cc": "gcc", "cxx": "g++", "ar": "ar", "ranlib": "ranlib"})


def build_host_python(python, workdir, prefix, cache_dir, jobs):
    """A host interpreter to run CPython's build scripts for a cross build.

    Built from the pristine pinned source: it is a build tool, and our patches
    concern the distributed interpreter only.
    """
    recipe, entry = recipes.cpython_version(python)
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
