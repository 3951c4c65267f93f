"""Building one component from its recipe into its own install prefix.

Every step's output goes to a log file; a failure raises one line naming the
component and the step, with the log's last lines and its path.
"""
import hashlib
import json
import os
import shutil
import signal
import subprocess

from . import archives, platforms, progress, recipes, sources
from .errors import ArmpyError, Interrupted

# Fixed so that __DATE__/__TIME__ and embedded timestamps are reproducible.
SOURCE_DATE_EPOCH = str(archives.FIXED_MTIME)
# Each step runs under a shell that notes an interrupt (Ctrl-C reaches every
# process of the terminal's group) and then exits INTERRUPTED, whatever the step
# made of it: configure, for one, traps SIGINT and exits 1.
INTERRUPTED = 130
STEP_SHELL = ('trap "stopped=1" INT TERM; "$@"; status=$?; '
              f'[ -z "$stopped" ] || exit {INTERRUPTED}; exit $status')
# Hidden visibility keeps the static dependencies' symbols out of the dynamic
# symbol table of whatever links them (an extension module, the interpreter).
BASE_CFLAGS = ["-O2", "-fPIC", "-fvisibility=hidden"]


def portable_names(build_dir, cache_dir, checkout):
    """This machine's build paths, each with the fixed name the build's outputs give it
    (in debug information, __FILE__ and recorded compiler commands), so that what
    ships names no build machine and is the same from any checkout."""
    return {checkout: "/armpy/checkout", cache_dir: "/armpy/cache", build_dir: "/armpy/build"}


def longest_first(names):
    """(path, name) pairs, the most specific path first: the order to rename in."""
    return sorted(names.items(), key=lambda item: -len(item[0]))


def prefix_map_flags(names):
    """-ffile-prefix-map for each path, the longest last: GCC applies the last map
    that matches a path, clang the longest, so both choose the most specific."""
    return [f"-ffile-prefix-map={path}={name}" for path, name in reversed(longest_first(names))]


def base_environment():
    """A minimal, predictable environment for build commands."""
    keep = ("PATH", "HOME", "TMPDIR", "TERM")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(LC_ALL="C", LANG="C", TZ="UTC", SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH)
    return env


class Builder:
    """What a recipe's build steps see: the toolchain, paths, and how to run things."""

    def __init__(self, recipe, toolchain, srcdir, prefix, dep_prefixes, jobs, log_path,
                 base_cflags=BASE_CFLAGS, extra_ldflags=(), build_paths=None):
        self.recipe = recipe
        self.toolchain = toolchain
        self.target = toolchain.target
        # The host's platform for build tools (the build-python has no target).
        self.platform = platforms.of(self.target) if self.target else platforms.host()
        self.srcdir = srcdir
        self.prefix = prefix
        self.dep_prefixes = dep_prefixes
        self.jobs = jobs
        self.log_path = log_path
        # Keep build paths out of the objects: debug info, __FILE__ in asserts.
        # With the toolchain's own (zig's headers): one list, so the most specific
        # name wins whichever order the compiler applies them in.
        self.path_names = (dict(toolchain.path_names) | dict(build_paths or {})
                           | {srcdir: f"/armpy/src/{recipe.NAME}"})
        self.cflags = list(base_cflags) + prefix_map_flags(self.path_names)
        self.extra_ldflags = list(extra_ldflags)

    def portable(self, text):
        """`text` with each build path replaced by its fixed name (see portable_names)."""
        for path, name in longest_first(self.path_names):
            text = text.replace(path, name)
        return text

    def dep_prefix(self, name):
        return self.dep_prefixes[name]

    def environment(self):
        tc = self.toolchain
        env = base_environment()
        includes = [f"-I{p}/include" for p in self.dep_prefixes.values()]
        extra = getattr(self.recipe, "extra_cppflags", lambda b: [])(self)
        env.update(
            CC=" ".join(tc.cc), CXX=" ".join(tc.cxx), AR=tc.ar, RANLIB=tc.ranlib,
            CFLAGS=" ".join(self.cflags), CXXFLAGS=" ".join(self.cflags),
            CPPFLAGS=" ".join(includes + extra),
            LDFLAGS=" ".join([f"-L{p}/lib" for p in self.dep_prefixes.values()]
                             + list(tc.ldflags) + self.platform.LINK_FLAGS + self.extra_ldflags),
            # Only our own prefixes: host libraries must not leak into the target.
            PKG_CONFIG_LIBDIR=":".join(f"{p}/lib/pkgconfig" for p in self.dep_prefixes.values()),
            PKG_CONFIG_PATH="",
        )
        if tc.rc:
            env["RC"] = tc.rc
        return env

    def run(self, command, env=None, cwd=None, phase=None):
        """Run one step, its output to the log; a step that runs long says so every
        minute with its phase (configure, make, install…) and its log's path."""
        full_env = self.environment()
        full_env.update(env or {})
        label = f"{self.recipe.NAME}: {phase or phase_of(command)}"
        cwd = cwd or self.srcdir
        program = command[0]
        if not (os.path.exists(os.path.join(cwd, program)) if os.sep in program
                else shutil.which(program, path=full_env["PATH"])):
            raise ArmpyError(f"{self.recipe.NAME}: program not found: {program}")
        with open(self.log_path, "a") as log:
            log.write(f"\n$ {' '.join(command)}\n")
            log.flush()
            process = subprocess.Popen(["sh", "-c", STEP_SHELL, "armpy", *command], cwd=cwd,
                                       env=full_env, stdout=log, stderr=subprocess.STDOUT)
            status = progress.wait(process, label, self.log_path)
        if status in (INTERRUPTED, -signal.SIGINT, -signal.SIGTERM):
            raise Interrupted(f"{label} was interrupted")
        if status != 0:
            raise ArmpyError(f"{label}: '{' '.join(command)[:120]}' failed "
                             f"(exit {status}); {tail(self.log_path)}; "
                             f"full log: {self.log_path}")

    def make(self, *args):
        self.run(["make", f"-j{self.jobs}", *args])

    def autotools(self, args):
        if not os.path.exists(os.path.join(self.srcdir, "configure")):
            # Git snapshots (Debian's orig of some packages) ship no configure.
            self.run(["autoreconf", "-fi"])
        self.run(["./configure", f"--host={self.target.gnu_triple}", f"--prefix={self.prefix}",
                  "--disable-shared", "--enable-static", "--with-pic", *args])
        self.make()
        self.make("install")

    def cmake(self, subdir, args):
        tc = self.toolchain
        build = os.path.join(self.srcdir, "_build")
        self.run(["cmake", "-S", os.path.join(self.srcdir, subdir), "-B", build,
                  "-DCMAKE_BUILD_TYPE=Release", f"-DCMAKE_INSTALL_PREFIX={self.prefix}",
                  "-DCMAKE_INSTALL_LIBDIR=lib", "-DCMAKE_POSITION_INDEPENDENT_CODE=ON",
                  f"-DCMAKE_SYSTEM_NAME={self.platform.CMAKE_SYSTEM_NAME}", f"-DCMAKE_SYSTEM_PROCESSOR={self.target.machine}",
                  f"-DCMAKE_C_COMPILER={tc.cc[0]}",
                  f"-DCMAKE_C_FLAGS={' '.join(tc.cc[1:] + tuple(self.cflags))}",
                  f"-DCMAKE_EXE_LINKER_FLAGS={' '.join(list(tc.ldflags) + self.platform.LINK_FLAGS)}",
                  f"-DCMAKE_AR={tc.ar}", f"-DCMAKE_RANLIB={tc.ranlib}", *args])
        self.run(["cmake", "--build", build, "-j", str(self.jobs)])
        self.run(["cmake", "--install", build])

    def install_tree(self, folder, dest):
        """The source tree's `folder` (as it was unpacked and patched) into prefix/dest."""
        target = os.path.join(self.prefix, dest)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(os.path.join(self.srcdir, folder), target, symlinks=True)

    def install_files(self, mapping):
        for name, subdir in mapping.items():
            dest = os.path.join(self.prefix, subdir)
            os.makedirs(dest, exist_ok=True)
            shutil.copy2(os.path.join(self.srcdir, name), dest)

    def write_pkgconfig(self, name, version, libs):
        folder = os.path.join(self.prefix, "lib", "pkgconfig")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{name}.pc"), "w") as f:
            f.write(f"prefix={self.prefix}\nlibdir=${{prefix}}/lib\nincludedir=${{prefix}}/include\n\n"
                    f"Name: {name}\nDescription: {name}\nVersion: {version}\n"
                    f"Libs: -L${{libdir}} {libs}\nCflags: -I${{includedir}}\n")


def phase_of(command):
    """What a step does, in a word or two: configure, make, make install, cmake --build…"""
    program = os.path.basename(command[0]).removeprefix("./")
    words = [a for a in command[1:] if not a.startswith("-") and "=" not in a][:1]
    if program in ("make", "cmake"):
        return " ".join([program] + ([a for a in command[1:] if a.startswith("--")][:1]
                                     if program == "cmake" else words))
    return program


def tail(path, lines=5):
    try:
        with open(path, errors="replace") as f:
            last = f.read().splitlines()[-lines:]
    except OSError:
        return "no log"
    return "last lines: " + " | ".join(line.strip() for line in last)


def prepare_source(recipe, providers, cache_dir, srcdir, log_path, version=None, patch=True):
    """Fetch and verify the source, unpack it into a fresh srcdir and apply patches.

    Returns a description of the file used (for the manifest).
    """
    path, provider = sources.fetch(providers, cache_dir)
    shutil.rmtree(srcdir, ignore_errors=True)
    os.makedirs(srcdir)
    if path.endswith(".whl"):
        # A wheel (a zip file, with no top-level folder) is the form some files come in.
        archives.extract_zip(path, srcdir)
    else:
        archives.extract(path, srcdir, strip_top=True,
                         only=getattr(recipe, "SOURCE_PATHS", ()))
    applied = []
    for patch_file in (recipes.patches(recipe.NAME, version) if patch else []):
        with open(log_path, "a") as log, open(patch_file) as stdin:
            result = subprocess.run(["patch", "-p1", "--forward", "--batch"], cwd=srcdir,
                                    stdin=stdin, stdout=log, stderr=subprocess.STDOUT)
        if result.returncode != 0:
            raise ArmpyError(f"{recipe.NAME}: patch {os.path.basename(patch_file)} does not apply; "
                             f"full log: {log_path}")
        applied.append(os.path.relpath(patch_file, recipes.ROOT))
    return {"file": provider.filename, "sha256": provider.sha256, "from": provider.describe(),
            "patches": applied}


def build_component(name, toolchain, workdir, prefix, dep_prefixes, cache_dir, jobs,
                    build_paths=None):
    """Build one dependency into `prefix` and write its metadata file (the build's stamp)."""
    recipe = recipes.load(name)
    shutil.rmtree(prefix, ignore_errors=True)
    os.makedirs(workdir, exist_ok=True)
    log_path = os.path.join(workdir, f"{name}.log")
    if os.path.exists(log_path):
        os.unlink(log_path)
    srcdir = os.path.join(workdir, name)
    source = prepare_source(recipe, recipe.SOURCES, cache_dir, srcdir, log_path)
    deps = {d: dep_prefixes[d] for d in all_dependencies(name)}
    builder = Builder(recipe, toolchain, srcdir, prefix, deps, jobs, log_path,
                      build_paths=build_paths)
    if hasattr(recipe, "build"):
        recipe.build(builder)
    else:
        builder.autotools(recipe.configure_args(builder))
    if hasattr(recipe, "post_install"):
        recipe.post_install(builder)
    license_copy = os.path.join(prefix, "LICENSE.txt")
    shutil.copyfile(os.path.join(srcdir, recipe.LICENSE_FILE), license_copy)
    # The digest of what was installed makes this file (the build's stamp) change
    # whenever the output does, so what links the component is rebuilt with it.
    metadata = component_metadata(recipe, source) | {"installed_sha256": tree_digest(prefix)}
    shutil.rmtree(srcdir)
    write_json(os.path.join(prefix, "component.json"), metadata)
    return metadata


def tree_digest(root):
    """sha256 over every file's relative path and content (a link's target) below root."""
    digest = hashlib.sha256()
    for rel in archives.walk_files(root):
        path = os.path.join(root, rel)
        digest.update(rel.encode() + b"\0")
        if os.path.islink(path):
            digest.update(os.readlink(path).encode())
        else:
            with open(path, "rb") as f:
                digest.update(hashlib.sha256(f.read()).digest())
    return digest.hexdigest()


def all_dependencies(name):
    found = []
    for dep in recipes.load(name).DEPENDS:
        for d in all_dependencies(dep) + [dep]:
            if d not in found:
                found.append(d)
    return found


def component_metadata(recipe, source):
    return {"name": recipe.NAME, "version": recipe.VERSION, "license": recipe.LICENSE,
            "source": source}


def write_json(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)

