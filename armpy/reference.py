"""A native reference interpreter, and how a build differs from it.

A cross build cannot run configure's probes, so what it answers must be
checked against a build that could: for aarch64 Linux, Debian's own arm64
python3.13 (reference/<target>/debian-python<X.Y>.toml pins its packages).
Two things are compared:
- pyconfig.h: every #define, name and value;
- the API surface: every public name of every extension module and of the
  modules that wrap them (os, time, socket, …), with the public attributes
  of the classes they define and the values of integer constants, asked of
  each interpreter at run time.
Each difference must be listed, with its reason, in
reference/<target>/<X.Y>-differences.toml; anything else fails, and so does
a listed difference that no longer occurs.

Debian's archive keeps only each suite's current versions, so the pins follow
its point releases: --repin rewrites them from the archive's signed index.

Command line: python -m armpy.reference INSTALL_DIR --toolchain NAME
              python -m armpy.reference --repin [--target T] [--python X.Y]
"""
import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys

from . import debapt, optimizations, recipes, sources
from .errors import ArmpyError

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

REFERENCE_DIR = os.path.join(recipes.ROOT, "reference")
# Pure-Python modules whose public names come from extension modules or from
# configure's answers (os.memfd_create, time.tzset, socket.AF_BLUETOOTH …).
WRAPPER_MODULES = ["asyncio", "ctypes", "curses", "decimal", "errno", "hashlib", "math", "os",
                   "posix", "readline", "select", "shutil", "signal", "socket", "sqlite3", "ssl",
                   "stat", "subprocess", "sysconfig", "termios", "threading", "time", "uuid"]

# Runs inside the interpreter being described; prints one JSON document.
SURFACE_SCRIPT = r"""
import importlib, json, os, sys, sysconfig
wrappers = json.loads(sys.argv[1])
dynload = os.path.join(sysconfig.get_path("platstdlib"), "lib-dynload")
names = set(sys.builtin_module_names) | set(wrappers)
names |= {f.split(".", 1)[0] for f in os.listdir(dynload) if f.endswith(".so")}
surface = {}
for name in sorted(names - {"__main__", "sys", "builtins"}):
    try:
        module = importlib.import_module(name)
    except ImportError:
        continue
    public = {}
    for attr in dir(module):
        if attr.startswith("_"):
            continue
        value = getattr(module, attr)
        # Integer constants carry their value: the platform's ABI numbers.
        public[attr] = value if type(value) is int else None
        if isinstance(value, type) and value.__module__ in (name, name.lstrip("_")):
            public.update({f"{attr}.{a}": None for a in dir(value) if not a.startswith("_")})
    surface[name] = public
print(json.dumps(surface))
"""


def spec_path(target, python):
    major_minor = ".".join(python.split(".")[:2])
    return os.path.join(REFERENCE_DIR, target, f"debian-python{major_minor}.toml")


def differences_path(target, python):
    major_minor = ".".join(python.split(".")[:2])
    return os.path.join(REFERENCE_DIR, target, f"{major_minor}-differences.toml")


def load_spec(target, python):
    path = spec_path(target, python)
    if not os.path.exists(path):
        raise ArmpyError(f"no native reference for {target} CPython {python} ({path})")
    with open(path, "rb") as f:
        return tomllib.load(f)


def providers(spec):
    return [sources.DebianBinary(p["name"], p["version"], spec["suite"], spec["architecture"],
                                 p["file"], sha256=p["sha256"], size=p["size"])
            for p in spec["package"]]


def repin(target, python, apt_dir):
    """Pin every package of the reference at the suite's current version; returns
    the lines that changed, as 'name: old -> new'."""
    path = spec_path(target, python)
    spec = load_spec(target, python)
    apt = debapt.PrivateApt(apt_dir, spec["suite"], spec["architecture"])
    apt.update()    # once, for the archive's newest index
    with open(path) as f:
        header, *blocks = f.read().split("[[package]]")
    changed = []
    for number, block in enumerate(blocks):
        pin = spec["package"][number]
        version, filename, size, sha256 = apt.current(pin["name"])
        if version != pin["version"]:
            changed.append(f"{pin['name']}: {pin['version']} -> {version}")
        for key, value in (("version", f'"{version}"'), ("file", f'"{filename}"'),
                           ("sha256", f'"{sha256}"'), ("size", str(size))):
            block = re.sub(rf"^{key} = .*$", f"{key} = {value}", block, count=1, flags=re.M)
        blocks[number] = block
    with open(path + ".tmp", "w") as f:
        f.write("[[package]]".join([header, *blocks]))
    os.replace(path + ".tmp", path)
    return changed


def prepare_root(spec, cache_dir, root):
    """Fetch and verify the pinned packages and unpack them into `root` (once per pin set)."""
    pins = json.dumps(spec["package"], sort_keys=True)
    stamp = os.path.join(root, ".armpy-reference.json")
    if os.path.exists(stamp):
        with open(stamp) as f:
            if f.read() == pins:
                return root
    shutil.rmtree(root, ignore_errors=True)
    partial = root + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    for provider in providers(spec):
        path, _ = sources.fetch([provider], cache_dir)
        subprocess.run(["dpkg-deb", "-x", path, partial], check=True)
    # Debian's /lib is /usr/lib; the interpreter's loader path goes through it.
    if not os.path.lexists(os.path.join(partial, "lib")):
        os.symlink("usr/lib", os.path.join(partial, "lib"))
    with open(stamp.replace(root, partial), "w") as f:
        f.write(pins)
    os.replace(partial, root)
    return root


def api_surface(python, env=None):
    """{module: {public name: its value if an int constant, else None}} as the
    interpreter at `python` reports them."""
    try:
        out = subprocess.run([python, "-I", "-B", "-c", SURFACE_SCRIPT, json.dumps(WRAPPER_MODULES)],
                             capture_output=True, text=True, timeout=900, env=env or {})
    except subprocess.TimeoutExpired:
        raise ArmpyError(f"{python}: no API surface within 900 s") from None
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise ArmpyError(f"{python}: could not list its API surface ({last})")
    return json.loads(out.stdout)


def reference_facts(target, python, cache_dir, work_dir):
    """pyconfig defines and API surface of the native reference (cached in work_dir)."""
    spec = load_spec(target, python)
    root = prepare_root(spec, cache_dir, os.path.join(work_dir, "root"))
    facts_path = os.path.join(work_dir, "facts.json")
    if os.path.exists(facts_path) and os.path.getmtime(facts_path) >= \
            os.path.getmtime(os.path.join(root, ".armpy-reference.json")):
        with open(facts_path) as f:
            return json.load(f)
    # Under binfmt qemu-user the loader and libraries come from the root; children inherit it.
    env = {"QEMU_LD_PREFIX": root}
    facts = {"pyconfig": optimizations.pyconfig_defines(os.path.join(root, spec["pyconfig"])),
             "api": api_surface(os.path.join(root, spec["interpreter"]), env)}
    with open(facts_path + ".tmp", "w") as f:
        json.dump(facts, f)
    os.replace(facts_path + ".tmp", facts_path)
    return facts


def build_facts(install):
    """The same facts of one of our install trees (or an extracted install_only archive)."""
    major_minor = os.path.basename(only_python_dir(os.path.join(install, "include")))
    return {"pyconfig": optimizations.pyconfig_defines(
                os.path.join(install, "include", major_minor, "pyconfig.h")),
            "api": api_surface(os.path.join(install, "bin", "python3"))}


def only_python_dir(folder):
    entries = [e for e in os.listdir(folder) if e.startswith("python3")]
    if len(entries) != 1:
        raise ArmpyError(f"{folder}: expected one python3.X directory, found {entries}")
    return os.path.join(folder, entries[0])


def diff(ours, reference):
    """Sorted difference keys: 'pyconfig:NAME' and 'api:module' / 'api:module.name',
    each with what the reference has and what we have (presence, or an int's value)."""
    found = {}
    ref_defs, our_defs = reference["pyconfig"], ours["pyconfig"]
    for name in sorted(set(ref_defs) | set(our_defs)):
        if ref_defs.get(name) != our_defs.get(name):
            found[f"pyconfig:{name}"] = (ref_defs.get(name), our_defs.get(name))
    ref_api, our_api = reference["api"], ours["api"]
    for module in sorted(set(ref_api) | set(our_api)):
        if module not in our_api or module not in ref_api:
            found[f"api:{module}"] = ("module" if module in ref_api else None,
                                      "module" if module in our_api else None)
            continue
        ref_names, our_names = ref_api[module], our_api[module]
        for name in sorted(set(ref_names) | set(our_names)):
            if name not in ref_names or name not in our_names:
                found[f"api:{module}.{name}"] = ("present" if name in ref_names else None,
                                                 "present" if name in our_names else None)
            elif ref_names[name] != our_names[name]:
                found[f"api:{module}.{name}"] = (ref_names[name], our_names[name])
    return found


def load_allowed(target, python, toolchain):
    """Listed differences that apply to this toolchain: [(pattern, entry)]."""
    path = differences_path(target, python)
    with open(path, "rb") as f:
        entries = tomllib.load(f).get("difference", [])
    allowed = []
    for number, entry in enumerate(entries, 1):
        for field in ("name", "why"):
            if not entry.get(field):
                raise ArmpyError(f"{path}: difference {number} has no '{field}'")
        unknown = set(entry) - {"name", "why", "toolchains"}
        if unknown:
            raise ArmpyError(f"{path}: difference {number} ({entry['name']}) has unknown field "
                             f"'{sorted(unknown)[0]}' (valid: name, why, toolchains)")
        if toolchain in entry.get("toolchains", [toolchain]):
            allowed.append((entry["name"], entry))
    return allowed


def compare(ours, reference, allowed):
    """{'unexpected': {key: (reference, ours)}, 'stale': [patterns], 'listed': n}."""
    found = diff(ours, reference)
    used = set()
    unexpected = {}
    for key, values in found.items():
        matches = [pattern for pattern, _ in allowed if fnmatch.fnmatchcase(key, pattern)]
        if matches:
            used.update(matches)
        else:
            unexpected[key] = values
    stale = sorted(pattern for pattern, _ in allowed if pattern not in used)
    return {"unexpected": unexpected, "stale": stale, "listed": len(found) - len(unexpected),
            "differences": len(found)}


def report_lines(result):
    lines = [f"{key}: reference {ref!r}, ours {our!r}"
             for key, (ref, our) in sorted(result["unexpected"].items())]
    lines += [f"{pattern}: listed, but no longer differs" for pattern in result["stale"]]
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(prog="armpy.reference", description=__doc__.split("\n")[0])
    parser.add_argument("install", nargs="?",
                        help="an install tree or extracted install_only archive")
    parser.add_argument("--toolchain")
    parser.add_argument("--repin", action="store_true",
                        help="pin the reference's packages at the suite's current versions")
    parser.add_argument("--target", default="aarch64-unknown-linux-gnu")
    parser.add_argument("--python", default="3.13")
    parser.add_argument("--cache-dir", default=os.path.join(recipes.ROOT, ".cache", "sources"))
    parser.add_argument("--work-dir", default=os.path.join(recipes.ROOT, "build", "reference"))
    args = parser.parse_args(argv)
    if not args.repin and not (args.install and args.toolchain):
        parser.error("an install tree and --toolchain are needed, or --repin")
    try:
        if args.repin:
            changed = repin(args.target, args.python,
                            os.path.join(os.path.dirname(args.cache_dir), "apt"))
            print("\n".join(changed) or "every pin is the current version")
            return 0
        reference = reference_facts(args.target, args.python, args.cache_dir,
                                    os.path.join(args.work_dir, args.target))
        result = compare(build_facts(args.install), reference,
                         load_allowed(args.target, args.python, args.toolchain))
    except ArmpyError as error:
        print(f"armpy.reference: error: {error}", file=sys.stderr)
        return 2
    for line in report_lines(result):
        print(line)
    print(f"{result['differences']} differences from the native reference, {result['listed']} "
          f"listed with a reason, {len(result['unexpected'])} not listed, "
          f"{len(result['stale'])} stale")
    return 1 if result["unexpected"] or result["stale"] else 0


if __name__ == "__main__":
    sys.exit(main())
