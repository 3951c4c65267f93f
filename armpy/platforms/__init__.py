"""What differs by operating system, one module per `platform` of targets.toml.

Adding a platform is adding a module here (and its row in targets.toml); the
engine asks `of(target)` and never names an operating system itself. Each
module provides:

  LINK_FLAGS              flags of every link of a target binary (hardening)
  BINARY_ID_LDFLAGS       flags giving each binary of CPython an identifier that
                          matches a stripped copy to the unstripped one
  CMAKE_SYSTEM_NAME       CMake's name of the platform
  CPYTHON_BUILD           how CPython builds: "configure" (and make), or "pcbuild"
                          (its Windows projects, armpy/winbuild.py); recipes of
                          what PCbuild compiles itself install their source tree
  OPENSSLDIR              where OpenSSL looks for certificates at run time
  SCRIPT_TRAMPOLINE       the #! lines of installed scripts ({python}: its name)
  DEBUG_INFO              file patterns of debug information the stripped tree
                          leaves out (beside the DWARF sections strip removes)
  SMOKE_WHEELS            pinned wheels the smoke test installs into a virtual
                          environment: {"wheel": provider, "code": what it runs
                          there, "prints": what that must print}
  REQUIRED_EXTENSIONS     extension modules every build of the platform has
  UNBUILT_EXTENSIONS      {module: reason} of modules a native build can have and
                          ours does not; recorded in PYTHON.json
  cpython_cross_answers(toolchain)   configure answers a cross build cannot probe
  cpython_configure_args(target)     configure arguments of the platform
  cpython_configure_env(target)      environment configure needs for it
  binary_files(root)      the platform's binaries below root
  needed_libraries(path)  the shared libraries a binary loads
  after_install(install, layout, toolchain, path_names)   edits that make binaries
                          relocatable and name build paths by their fixed names
  layout(major_minor, abiflags)   where the interpreter, python3, the standard
                          library, extension modules, scripts and CPython's licence
                          are in the install tree ({role: path relative to its
                          root}); abiflags names a variant's files (armpy/variants.py)
  crt_features(install)   PYTHON.json's crt_features
  manifest_fields(toolchain)         PYTHON.json fields only this platform has
"""
import importlib
import sys

from ..runner import HOST_PLATFORMS
from ..variants import stdlib_name


def posix_layout(major_minor, abiflags=""):
    """The layout of `make install` (Linux, macOS)."""
    stdlib = f"lib/{stdlib_name(major_minor, abiflags)}"
    return {"python": f"bin/python{major_minor}{abiflags}", "python3": "bin/python3",
            "stdlib": stdlib,
            "extensions": f"{stdlib}/lib-dynload", "scripts": "bin",
            "license": f"{stdlib}/LICENSE.txt"}


def of(target):
    """The platform module of a Target (armpy.targets)."""
    return importlib.import_module(f"{__name__}.{target.platform}")


def layout_of(target, document):
    """The layout of the install tree a PYTHON.json describes (Windows has no ABI tag)."""
    return of(target).layout(document["python_major_minor_version"],
                             document["python_abi_tag"] or "")


def host():
    """The platform module of the machine running the build."""
    return importlib.import_module(f"{__name__}.{HOST_PLATFORMS[sys.platform]}")
