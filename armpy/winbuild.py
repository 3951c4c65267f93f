"""CPython for Windows: PCbuild's projects compiled and linked by a clang for Windows.

MSBuild and MSVC do not run here. The projects (read by armpy/pcbuild.py) say
what each binary is made of; this module does what MSBuild would with the
toolchain's compiler: the frozen modules and pyconfig.h first, then each
project's objects, in parallel, and its link, into the layout of python.org's
Windows installs (python.exe beside python313.dll, DLLs/*.pyd, Lib/).
"""
import glob
import hashlib
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor

from . import pcbuild
from .errors import ArmpyError

# Where each project's binary goes that is not an extension module (DLLs/<name>.pyd):
# the interpreter's own, and SQLite's.
NAMED_FILES = {
    "python": "python.exe",
    "pythonw": "pythonw.exe",
    "python3dll": "python3.dll",
    # venv copies these in as a virtual environment's python.exe and pythonw.exe.
    "venvlauncher": "Lib/venv/scripts/nt/venvlauncher.exe",
    "venvwlauncher": "Lib/venv/scripts/nt/venvwlauncher.exe",
    # Beside _sqlite3.pyd, which imports it, as python.org ships it.
    "sqlite3": "DLLs/sqlite3.dll",
}
CORE = "pythoncore"
# Windows SDK import libraries that MinGW-w64 names by the DLL they import from.
IMPORT_LIBRARY_NAMES = {"pathcch": "api-ms-win-core-path-l1-1-0"}
# Where PCbuild's projects look for externals that were not given: a folder that
# does not exist, so the projects needing them are left out, named by what they need.
EXTERNALS_NOT_GIVEN = "/armpy/externals-not-given/"
# Every compile: mmapmodule.c guards reads of a mapped file with structured exception
# handling (__try/__except), which clang implements for MSVC's ABI only; it accepts
# the syntax for MinGW's and leaves the handler out. Without it, a read of a mapped
# file that shrank underneath ends the process, as on POSIX, instead of raising OSError.
DEFINES = ["DONT_USE_SEH"]
# python.props' ReleaseLevelNumber of each release level (None: final).
RELEASE_LEVELS = {"a": 10, "b": 11, "rc": 12, None: 15}
# Projects of PCbuild that make no part of the distribution: Windows Store builds,
# the py.exe launcher (installed system-wide by python.org's installer), the
# Explorer extension, the build's own tools, and the externals it compiles by
# itself (armpy builds them from its own pins; SQLite's amalgamation is compiled by
# PCbuild's own sqlite3 project, as python.org's build does).
NOT_DISTRIBUTED = {"python_uwp", "pythonw_uwp", "pylauncher", "pywlauncher", "pyshellext",
                   "_freeze_module", "_testembed", "liblzma", "openssl", "tcl", "tk"}


def properties(version, build_dir, externals):
    """MSBuild properties of a release build for ARM64 of CPython `version` (3.13.x).
    `externals` names the source folders of the dependencies PCbuild compiles from
    source (zlibDir, bz2Dir, mpdecimalDir…); those not given count as absent."""
    major, minor = version.split(".")[:2]
    props = {"Platform": "ARM64", "Configuration": "Release", "ArchName": "arm64",
             "PyArchExt": "-arm64", "MajorVersionNumber": major, "MinorVersionNumber": minor,
             # Computed by python.props with property functions, which the reader skips.
             "Field3Value": str(field3(version)),
             "Py_IntDir": os.path.join(build_dir, "obj") + "/",
             "IncludeExternals": "true" if externals.get("zlibDir") else "false",
             # Externals come from the folders given, never from a default place.
             "ExternalsDir": EXTERNALS_NOT_GIVEN}
    if externals.get("sqlite3Dir"):
        props |= sqlite_version(externals["sqlite3Dir"])
    return props | {name: folder.rstrip("/") + "/" for name, folder in externals.items()}


def sqlite_version(folder):
    """sqlite3.dll's version properties. sqlite3.vcxproj computes them with property
    functions from its folder's name (python.org's sqlite-3.45.3.0); here they come
    from the amalgamation's sqlite3.h."""
    path = os.path.join(folder, "sqlite3.h")
    with open(path) as f:
        match = re.search(r'^#define SQLITE_VERSION\s+"(\d+)\.(\d+)\.(\d+)"', f.read(), re.M)
    if not match:
        raise ArmpyError(f"{path}: no SQLITE_VERSION")
    major, minor, micro = match.groups()
    return {"SqliteVersion": f"{major}.{minor}.{micro}.0", "SqliteMajorVersion": major,
            "SqliteMinorVersion": minor, "SqliteMicroVersion": micro, "SqlitePatchVersion": "0"}


def field3(version):
    """The third field of the binaries' file version, as python.props computes it:
    micro * 1000 + release level * 10 + serial (3.13.15 -> 15150, 3.14.0rc1 -> 121)."""
    match = re.fullmatch(r"\d+\.\d+\.(\d+)(?:(a|b|rc)(\d+))?", version)
    if not match:
        raise ArmpyError(f"cpython for Windows: version {version} is not X.Y.Z[a|b|rcN]")
    micro, level, serial = match.groups()
    return int(micro) * 1000 + RELEASE_LEVELS[level] * 10 + int(serial or 0)


class Compiler:
    """The toolchain's drivers with the flags of every compile and of every link, and
    the libraries that stand for those PCbuild links: {PCbuild's name: link flags}."""

    def __init__(self, cc, cxx, cflags, libraries, ldflags=(), rc=()):
        self.cc, self.cxx, self.cflags = tuple(cc), tuple(cxx), list(cflags)
        self.libraries, self.ldflags, self.rc = dict(libraries), list(ldflags), tuple(rc)


def build(srcdir, compiler, host_python, out, build_dir, version, externals, jobs, run):
    """Build the interpreter and every distributed extension module whose sources are
    all present into `out`; `run` runs each command (the component Builder's run, so
    that every compile has the build's environment: SOURCE_DATE_EPOCH, LC_ALL, TZ).
    Returns ({project: reason} of those left out, the object files of the
    interpreter's DLL)."""
    pcbuild_dir = os.path.join(srcdir, "PCbuild")
    props = properties(version, build_dir, externals)
    core = pcbuild.read(pcbuild_dir, CORE, props)
    write_pyconfig(srcdir, core)
    freeze_modules(srcdir, pcbuild.read(pcbuild_dir, "_freeze_module", props), host_python, run)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, "DLLs"))
    copy_tree(os.path.join(srcdir, "Lib"), os.path.join(out, "Lib"))
    major, minor = version.split(".")[:2]
    core_objects = compile_all(core, compiler, build_dir, jobs, run)
    built = {CORE: link(core, core_objects, os.path.join(out, f"python{major}{minor}.dll"),
                        compiler, build_dir, run, built={})}
    left_out = {}
    projects = {name: pcbuild.read(pcbuild_dir, name, props)
                for name in project_names(pcbuild_dir)}
    for project in in_link_order(projects):
        name = project.name
        missing = missing_inputs(project, build_dir)
        if missing:
            left_out[name] = f"needs {missing}"
            continue
        if name in NAMED_FILES:
            target = os.path.join(out, NAMED_FILES[name])
        elif project.kind == "DynamicLibrary":
            target = os.path.join(out, "DLLs", f"{name}{extension_suffix(version)}")
        else:
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        built[name] = link(project, compile_all(project, compiler, build_dir, jobs, run),
                           target, compiler, build_dir, run, built)
    install_for_developers(srcdir, core, out, {f"python{major}{minor}.lib": built[CORE],
                                               "python3.lib": built["python3dll"]})
    return left_out, core_objects


def in_link_order(projects):
    """The projects, each after those of them it references (python3dll before the
    test modules that link it), otherwise by name."""
    ordered, placed = [], set()

    def place(name, chain):
        if name in placed or name not in projects:
            return
        if name in chain:
            raise ArmpyError(f"PCbuild projects reference each other in a cycle: "
                             f"{' -> '.join(chain + [name])}")
        for reference in projects[name].references:
            place(reference, chain + [name])
        placed.add(name)
        ordered.append(projects[name])

    for name in sorted(projects):
        place(name, [])
    return ordered


def install_for_developers(srcdir, core, out, import_libraries):
    """What python.org's layout has for building extension modules: include/ with
    pyconfig.h, and libs/ with the import libraries (lld writes them in the short
    import format that Microsoft's linker reads, whatever the name); and LICENSE.txt."""
    copy_tree(os.path.join(srcdir, "Include"), os.path.join(out, "include"))
    shutil.copyfile(os.path.join(pyconfig_dir(core), "pyconfig.h"),
                    os.path.join(out, "include", "pyconfig.h"))
    os.makedirs(os.path.join(out, "libs"))
    for name, path in import_libraries.items():
        shutil.copyfile(path, os.path.join(out, "libs", name))
    shutil.copyfile(os.path.join(srcdir, "LICENSE"), os.path.join(out, "LICENSE.txt"))


def extension_suffix(version):
    major, minor = version.split(".")[:2]
    return f".cp{major}{minor}-win_arm64.pyd"


def project_names(pcbuild_dir):
    names = sorted(os.path.basename(p)[:-len(".vcxproj")]
                   for p in glob.glob(os.path.join(pcbuild_dir, "*.vcxproj")))
    return [n for n in names if n != CORE and n not in NOT_DISTRIBUTED]


def missing_inputs(project, build_dir):
    """The first source or include folder of `project` that does not exist, or ''.
    Folders the build itself makes (below build_dir) do not count."""
    for path in [s.path for s in project.sources] + project.includes:
        if not os.path.exists(path) and not path.startswith(os.path.join(build_dir, "")):
            return path
    return ""


def write_pyconfig(srcdir, core):
    """pyconfig.h where pythoncore.vcxproj puts it: PC/pyconfig.h.in as it is, for the
    build with the GIL (the free-threaded build uncomments Py_GIL_DISABLED)."""
    folder = pyconfig_dir(core)
    os.makedirs(folder, exist_ok=True)
    shutil.copyfile(os.path.join(srcdir, "PC", "pyconfig.h.in"),
                    os.path.join(folder, "pyconfig.h"))


def pyconfig_dir(core):
    return next(i for i in core.includes if os.path.basename(i) == CORE)


def freeze_modules(srcdir, freeze_project, host_python, run):
    """The frozen modules of _freeze_module.vcxproj, frozen by the build-python (the
    same CPython version, hence the same bytecode) with CPython's Python freezer."""
    freezer = os.path.join(srcdir, "Programs", "_freeze_module.py")
    for module, source, header in freeze_project.frozen:
        os.makedirs(os.path.dirname(header), exist_ok=True)
        run([host_python, freezer, module, source, header])


def compile_all(project, compiler, build_dir, jobs, run):
    objdir = os.path.join(build_dir, "obj", "objects", project.name)
    os.makedirs(objdir, exist_ok=True)

    def compile_one(source):
        name = os.path.basename(source.path)
        # Two projects' sources may share a name (Modules/_io/fileio.c…).
        digest = hashlib.sha256(source.path.encode()).hexdigest()[:8]
        obj = os.path.join(objdir, f"{name}.{digest}.o")
        driver = compiler.cxx if name.endswith(".cpp") else compiler.cc
        run([*driver, *compiler.cflags, "-c", source.path, "-o", obj,
             *[f"-D{d}" for d in project.defines + source.defines + DEFINES],
             *[f"-I{i}" for i in source.includes + project.includes]])
        return obj

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(compile_one, project.sources))


def link(project, objects, target, compiler, build_dir, run, built):
    """Link `target` with the projects it references (`built`: {name: import library})
    and its libraries; a DLL's import library goes to the build tree. Returns its path."""
    implib = os.path.join(build_dir, "obj", f"lib{project.name}.dll.a")
    references = []
    for name in project.references:
        if name in built:
            references.append(built[name])
        elif name in compiler.libraries:
            references += compiler.libraries[name]
        else:
            raise ArmpyError(f"cpython for Windows: {project.name} links {name}, which was "
                             f"not built and which no dependency stands for")
    # -s: no .pdb. lld's PDBs name every object and library by its path on this
    # machine (zig's cache included), which no file of the distribution may do.
    flags = ["-s"]
    if project.kind == "DynamicLibrary":
        flags += ["-shared", f"-Wl,--out-implib,{implib}"]
    else:
        # The programs start at wmain/wWinMain (wide-character arguments).
        flags += ["-municode"] + (["-mwindows"] if project.link.get("SubSystem") == "Windows"
                                  else [])
    if project.link.get("StackReserveSize"):
        flags.append(f"-Wl,--stack,{project.link['StackReserveSize']}")
    objects = objects + compile_resources(project, os.path.basename(target), compiler,
                                          build_dir, run)
    # C++ (_wmi) links with the C++ driver, which links its runtime in statically.
    cpp = any(source.path.endswith(".cpp") for source in project.sources)
    run([*(compiler.cxx if cpp else compiler.cc), *compiler.ldflags, *objects, *references,
         "-o", target, *flags,
         *[flag for lib in project.libraries for flag in library_flags(lib, compiler)]])
    return implib


def compile_resources(project, filename, compiler, build_dir, run):
    """The project's resource scripts as objects to link: the version information
    Windows shows and installers read, the manifest (supported Windows versions,
    long paths) and the programs' icons. Returns the object files."""
    objects = []
    defines = [d for d in project.resource_defines if not d.startswith("ORIGINAL_FILENAME=")]
    # The name this build gives the file (python.org's DLLs/ names carry no ABI tag).
    defines.append(f'ORIGINAL_FILENAME=\\"{filename}\\"')
    for script in project.resources:
        # llvm-rc takes a backslash in a file name literally off Windows: the icons'
        # names ("icons\python.ico") get slashes, in a copy beside the script.
        with open(script, encoding="latin-1") as f:
            text = re.sub(r'^(\s*\w+\s+ICON\b[^"\n]*")([^"\n]*)"',
                          lambda m: m.group(1) + m.group(2).replace("\\", "/") + '"',
                          f.read(), flags=re.M)
        copy = f"{script[:-3]}.{project.name}.rc"
        with open(copy, "w", encoding="latin-1") as f:
            f.write(text)
        obj = os.path.join(build_dir, "obj", "objects", project.name,
                           os.path.basename(script) + ".o")
        run([*compiler.rc, "-O", "coff", *[f"-D{d}" for d in defines],
             *[f"-I{i}" for i in project.resource_includes], "-i", copy, "-o", obj])
        objects.append(obj)
    return objects


def library_flags(name, compiler):
    """How to link a library PCbuild names: a library standing for it, or Windows'
    (whose names Windows reads in any letter case)."""
    if name in compiler.libraries:
        return compiler.libraries[name]
    return [f"-l{IMPORT_LIBRARY_NAMES.get(name.lower(), name.lower())}"]


def copy_tree(source, dest):
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__"))
