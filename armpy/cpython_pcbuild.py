"""Building CPython for Windows: PCbuild's projects compiled by the toolchain
(armpy/winbuild.py) into python.org's layout, then pip with its Scripts/*.exe
launchers and the standard library's bytecode, added by the build-python (the
same CPython version: the same bytecode)."""
import configparser
import glob
import io
import os
import shutil
import subprocess
import zipfile

from . import builder, optimizations, platforms, recipes, relocate, winbuild
from .errors import ArmpyError


def build(opts, toolchain, host_python, dep_prefixes, workdir, stage, srcdir, source,
          log_path, build_paths):
    """Build the prepared source (srcdir) into stage/install; returns the component
    metadata (the step's stamp)."""
    recipe, _entry = recipes.cpython_version(opts.python)
    platform = platforms.of(toolchain.target)
    b = builder.Builder(recipe, toolchain, srcdir, recipe.PREFIX, dep_prefixes, opts.jobs,
                        log_path, base_cflags=["-O2"], build_paths=build_paths)
    externals = {prop: os.path.join(dep_prefixes[component], folder)
                 for prop, (component, folder) in recipe.PCBUILD_EXTERNALS.items()}
    libraries = {name: static_library_flags(b, package)
                 for name, package in recipe.PCBUILD_LIBRARIES.items()}
    compiler = winbuild.Compiler(toolchain.cc, toolchain.cxx, b.cflags, libraries,
                                 toolchain.ldflags, toolchain.rc.split())
    install = os.path.join(stage, "install")
    objdir = os.path.join(workdir, "pcbuild")
    shutil.rmtree(objdir, ignore_errors=True)
    left_out, core_objects = winbuild.build(srcdir, compiler, host_python, install, objdir,
                                            opts.python, externals, opts.jobs, b.run)
    missing = sorted(m for m in platform.REQUIRED_EXTENSIONS if m in left_out)
    if missing:
        raise ArmpyError("cpython: required extension modules not built: "
                         + "; ".join(f"{m} ({left_out[m]})" for m in missing))
    for component in recipe.PCBUILD_BESIDE_INTERPRETER:
        folder = os.path.join(dep_prefixes[component], "bin")
        for name in sorted(os.listdir(folder)):
            shutil.copyfile(os.path.join(folder, name), os.path.join(install, name))
    major_minor = opts.python.rsplit(".", 1)[0]
    layout = platform.layout(major_minor)
    install_pip(b, host_python, install, os.path.join(install, layout["stdlib"]))
    # As `make install` compiles the standard library, and pip as pip compiles itself;
    # their bytecode names the sources under the configured prefix.
    compileall = [host_python, "-I", "-Wi", "-m", "compileall", "-q", "-f", "-j0",
                  "-s", install, "-p", recipe.PREFIX]
    stdlib = os.path.join(install, layout["stdlib"])
    b.run([*compileall, "-o", "0", "-o", "1", "-o", "2",
           "-x", "bad_coding|badsyntax|site-packages", stdlib], cwd=install)
    b.run([*compileall, os.path.join(stdlib, "site-packages")], cwd=install)
    relocate.check_no_build_paths(install, build_paths)
    found = {"lto": optimizations.objects_finding(core_objects, []),
             "computed_gotos": "HAVE_COMPUTED_GOTOS" in optimizations.pyconfig_defines(
                 os.path.join(install, "include", "pyconfig.h")),
             "pgo": None,
             # PCbuild builds neither variant here (targets.toml), and PC/pyconfig.h
             # defines them from the compiler's flags, which a read of it cannot see.
             "gil_disabled": False, "debug": False}
    shutil.rmtree(srcdir)
    shutil.rmtree(objdir)
    optimizations.check(opts.build_options, found)
    return builder.component_metadata(recipe, source) | {
        "version": opts.python, "configure_args": [], "optimizations": found,
        "installed_sha256": builder.tree_digest(install)}


def static_library_flags(b, package):
    """The link flags of a dependency's static library and of what it links, from its
    pkg-config file (-L of its prefix, -l of it and of Windows' libraries it needs)."""
    env = b.environment()
    result = subprocess.run(["pkg-config", "--static", "--libs", package],
                            env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise ArmpyError(f"cpython: no pkg-config file for {package} among the dependencies "
                         f"({result.stderr.strip()[:200]})")
    return result.stdout.split()


def install_pip(b, python, install, stdlib):
    """pip from the bundled wheel into the standard library's site-packages (Windows'
    layout), installed by the build-python; its scripts become Scripts/*.exe launchers."""
    wheels = glob.glob(os.path.join(stdlib, "ensurepip", "_bundled", "pip-*.whl"))
    if len(wheels) != 1:
        raise ArmpyError(f"cpython: expected one bundled pip wheel, found {len(wheels)}")
    site_packages = os.path.join(stdlib, "site-packages")
    b.run([python, "-I", os.path.join(wheels[0], "pip"), "install", "--no-index", "--no-deps",
           "--find-links", os.path.dirname(wheels[0]), "--no-cache-dir",
           "--disable-pip-version-check", "--no-warn-script-location", "--no-compile",
           f"--target={site_packages}", "pip"], cwd=install)
    shutil.rmtree(os.path.join(site_packages, "bin"), ignore_errors=True)
    write_launchers(site_packages, os.path.join(install, "Scripts"))


# The script each launcher runs: what pip writes for a console entry point.
LAUNCHED_SCRIPT = """import re
import sys
from {module} import {function}
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit({function}())
"""


def write_launchers(site_packages, scripts):
    """Scripts/<name>.exe for each console entry point of what is in site_packages:
    pip's own launcher for Windows on Arm (distlib's t64-arm.exe), a #! line and a
    zip of the script, as pip makes them, except that the #! line names python.exe
    relative to the launcher (<launcher_dir>), so the tree works from anywhere."""
    launcher = os.path.join(site_packages, "pip", "_vendor", "distlib", "t64-arm.exe")
    with open(launcher, "rb") as f:
        stub = f.read()
    os.makedirs(scripts, exist_ok=True)
    for entry_points in sorted(glob.glob(os.path.join(site_packages, "*.dist-info",
                                                      "entry_points.txt"))):
        parser = configparser.ConfigParser()
        parser.read(entry_points)
        if not parser.has_section("console_scripts"):
            continue
        for name, target in sorted(parser.items("console_scripts")):
            module, function = target.strip().split(":")
            payload = io.BytesIO()
            with zipfile.ZipFile(payload, "w") as archive:
                # A fixed time: the same bytes from every build.
                info = zipfile.ZipInfo("__main__.py", date_time=(1980, 1, 1, 0, 0, 0))
                archive.writestr(info, LAUNCHED_SCRIPT.format(module=module, function=function))
            with open(os.path.join(scripts, f"{name}.exe"), "wb") as f:
                f.write(stub + b"#!<launcher_dir>\\..\\python.exe\r\n" + payload.getvalue())
