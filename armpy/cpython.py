"""Building CPython for the target: configure, make (or the PGO steps), install;
for Windows, armpy/cpython_pcbuild.py."""
import glob
import os
import re
import shutil
import subprocess

from . import builder, cpython_pcbuild, optimizations, pgo, platforms, recipes, relocate, variants
from .errors import ArmpyError


# bin/python3.X links libpython's objects in, as Debian's interpreter does, so that
# a copy of it (venv --copies) starts without lib/ beside it; libpython3.X.so is
# still built and installed for programs that embed Python.
STATIC_INTERPRETER = ["LINK_PYTHON_OBJS=$(LIBRARY_OBJS)",
                      "LINK_PYTHON_DEPS=$(LIBRARY_DEPS) $(LIBRARY_OBJS)"]


# Beside the install tree in the stage: the profile a pgo build read.
KEPT_PROFILE = "pgo-profile"


def kept_profile(stage):
    """The profile kept in `stage` by a pgo build, or None."""
    path = os.path.join(stage, KEPT_PROFILE)
    return path if os.path.isdir(path) else None


def build_target_python(opts, toolchain, host_python, dep_prefixes, workdir, stage,
                        pgo_runtime="", build_paths=None):
    """Configure, build and install CPython for the target into `stage` (DESTDIR).

    `pgo_runtime` is the install prefix of the toolchain's profile runtime, if it
    needs one. Returns the component metadata plus the configure arguments used.
    """
    platform = platforms.of(toolchain.target)
    recipe, entry = recipes.cpython_version(opts.python)
    shutil.rmtree(stage, ignore_errors=True)
    os.makedirs(workdir, exist_ok=True)
    log_path = os.path.join(workdir, "cpython.log")
    if os.path.exists(log_path):
        os.unlink(log_path)
    srcdir = os.path.join(workdir, "cpython")
    source = builder.prepare_source(recipe, entry.sources, cache_dir=opts.cache_dir,
                                    srcdir=srcdir, log_path=log_path, version=opts.python)
    if platform.CPYTHON_BUILD == "pcbuild":
        return cpython_pcbuild.build(opts, toolchain, host_python, dep_prefixes, workdir, stage,
                                     srcdir, source, log_path, build_paths)
    # CPython chooses its own optimisation flags (-O3, and -fPIC where needed).
    b = builder.Builder(recipe, toolchain, srcdir, recipe.PREFIX, dep_prefixes, opts.jobs, log_path,
                        base_cflags=[], extra_ldflags=platform.BINARY_ID_LDFLAGS,
                        build_paths=build_paths)
    b.cflags = profile_safe_path_maps(b.cflags)
    args = recipe.configure_args(platform, toolchain, opts.build_options)
    args += list(toolchain.configure_vars)
    if toolchain.cross:
        args += [f"--build={host_triple()}", f"--host={toolchain.target.gnu_triple}",
                 f"--with-build-python={host_python}"]
    # Static dependencies list their own dependencies (e.g. -lm) only as
    # private libraries; without --static those modules fail to link.
    b.run(["./configure", *args], env={"PKG_CONFIG": "pkg-config --static"}
          | platform.cpython_configure_env(toolchain.target))
    make_args = [*STATIC_INTERPRETER, *toolchain.make_vars]
    if toolchain.interpreter_ldflags:
        make_args = optimizations.with_words_added(
            make_args, srcdir, {"LINKFORSHARED": list(toolchain.interpreter_ldflags)})
    profile = None
    if "pgo" in opts.build_options.split("+"):
        make_args += toolchain.pgo_flags
        runtime = (recipes.load(toolchain.pgo_runtime).instrumented_link(pgo_runtime)
                   if toolchain.pgo_runtime and not opts.pgo_profile else None)
        profile = pgo.build(b, make_args, toolchain.target, opts.pgo_task, opts.jobs,
                            toolchain.profdata, runtime, given=opts.pgo_profile,
                            keep_in=os.path.join(stage, KEPT_PROFILE))
    else:
        b.make(*make_args)
    found = optimizations.detect(srcdir, profile, make_args)
    optimizations.check(opts.build_options, found)
    missing = missing_extensions(srcdir, platform.REQUIRED_EXTENSIONS)
    if missing:
        raise ArmpyError(f"cpython: required extension modules not built: {', '.join(missing)}; "
                         f"see 'checksharedmods' in {log_path}")
    b.make("install", f"DESTDIR={stage}", *make_args)
    install = os.path.join(stage, "install")
    major_minor = opts.python.rsplit(".", 1)[0]
    abiflags = variants.abiflags_of(opts.build_options)
    layout = platform.layout(major_minor, abiflags)
    python = os.path.join(install, layout["python"])
    linked = [n for n in platform.needed_libraries(python)
              if os.path.basename(n).startswith("libpython")]
    if linked:
        raise ArmpyError(f"cpython: {layout['python']} needs {linked[0]}; it should have "
                         f"libpython linked in (see STATIC_INTERPRETER in {__file__})")
    if abiflags:
        link_plain_name(install, major_minor, layout)
    platform.after_install(install, layout, toolchain, b.path_names)
    # The build-python of a cross build: the same version, whose bytecode is the same.
    python_here = host_python if toolchain.cross else python
    stdlib = os.path.join(install, layout["stdlib"])
    install_pip(b, python_here, install, stdlib)
    relocate.make_relocatable(install, toolchain, build_paths)
    compile_bytecode(b, python_here, install, stdlib, recipe.PREFIX)
    relocate.check_no_build_paths(install, build_paths)
    shutil.rmtree(srcdir)
    # Recorded without this machine's paths (the build-python, toolchain wrappers).
    recorded = [recorded_argument(a) for a in args]
    # The digest of the relocatable tree makes this metadata (the step's stamp) change
    # whenever the tree does, so the archives are made again.
    return builder.component_metadata(recipe, source) | {
        "version": opts.python, "configure_args": recorded, "optimizations": found,
        "installed_sha256": builder.tree_digest(install)}


def link_plain_name(install, major_minor, layout):
    """`make install` of a variant hard-links bin/python3.X to bin/python3.Xt (or …d):
    a symbolic link instead, so that archives hold the interpreter once."""
    plain = os.path.join(install, "bin", f"python{major_minor}")
    if os.path.isfile(plain) and not os.path.islink(plain):
        os.unlink(plain)
    if not os.path.lexists(plain):
        os.symlink(os.path.basename(layout["python"]), plain)


def install_pip(b, python, install, stdlib):
    """pip from the wheel CPython bundles (what ensurepip installs), installed by
    `python`: the build-python of a cross build, which need not run the target.
    Both are the same CPython version, so the files and their bytecode are the same.
    (A variant's pip is the same files: pip has no extension modules.)"""
    wheels = glob.glob(os.path.join(stdlib, "ensurepip", "_bundled", "pip-*.whl"))
    if len(wheels) != 1:
        raise ArmpyError(f"cpython: expected one bundled pip wheel, found {len(wheels)}")
    # A wheel is importable: pip installs itself from its own wheel, found by name
    # as ensurepip does (a path would be recorded as the origin, in direct_url.json).
    b.run([python, "-I", os.path.join(wheels[0], "pip"), "install", "--no-index", "--no-deps",
           "--find-links", os.path.dirname(wheels[0]), "--no-cache-dir",
           "--disable-pip-version-check", "--no-warn-script-location", f"--prefix={install}",
           "--no-compile", "pip"], cwd=install, phase="install pip")
    # pip lays out the prefix as the interpreter running it does: a build-python
    # with the GIL puts a free-threaded build's pip in lib/python3.X, not 3.Xt.
    wanted = os.path.join(stdlib, "site-packages")
    for other in glob.glob(os.path.join(install, "lib", "python3*", "site-packages")):
        if not os.path.samefile(other, wanted):
            for name in sorted(os.listdir(other)):
                os.rename(os.path.join(other, name), os.path.join(wanted, name))
            os.removedirs(other)


def compile_bytecode(b, python, install, stdlib, prefix):
    """Bytecode of what changed after `make install`: pip (one level, as pip compiles
    itself) and the rewritten sysconfig data (the three levels `make install` writes).
    It names its sources under the configured prefix, as the standard library's
    does, not where this build installed them."""
    compileall = [python, "-I", "-m", "compileall", "-q", "-f", "-s", install, "-p", prefix]
    b.run([*compileall, os.path.join(stdlib, "site-packages")], cwd=install,
          phase="compile bytecode")
    b.run([*compileall, "-o", "0", "-o", "1", "-o", "2",
           *glob.glob(os.path.join(stdlib, "_sysconfigdata_*.py"))], cwd=install,
          phase="compile bytecode")


def profile_safe_path_maps(cflags):
    """Build paths go out of debug information and __FILE__, but not out of GCC's
    profile paths: since GCC 12, -ffile-prefix-map also maps where an instrumented
    interpreter writes its .gcda files and where the next build reads them, which
    would be outside the build tree."""
    out = []
    for flag in cflags:
        if flag.startswith("-ffile-prefix-map="):
            mapping = flag.split("=", 1)[1]
            out += [f"-fdebug-prefix-map={mapping}", f"-fmacro-prefix-map={mapping}"]
        else:
            out.append(flag)
    return out


def recorded_argument(arg):
    """NAME=/a/path/program -> NAME=program: what ran, not where it is kept here."""
    name, sep, value = arg.partition("=")
    if sep and os.path.isabs(value):
        return f"{name}={os.path.basename(value)}"
    return arg


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
