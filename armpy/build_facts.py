"""Facts about a built interpreter, from the build alone: the target never runs.

A Python of the same version (the build-python of a cross build, or the built
interpreter of a native one) imports the installed tree's own sysconfig module
and sysconfig data, told the target's platform, multiarch and prefix; this is
how CPython's own cross build runs its build-time scripts. What is the same
for one CPython version on every platform (bytecode magic, cache tag, source
suffixes) comes from that Python itself. Where the target does run, the smoke
test compares these facts with the live interpreter's (introspect.py).
"""
import glob
import json
import os
import re
import subprocess

from .errors import ArmpyError

# Runs in the build-python; argv: install, stdlib, sysconfigdata name, sys.platform,
# multiarch ("" for none), host platform, extension suffix, builtin modules (JSON).
PROBE = r"""
import json, os, sys
install, stdlib, data_name, platform, multiarch, host_platform, ext_suffix, builtin = sys.argv[1:]
sys.path.insert(0, stdlib)
data = __import__(data_name).build_time_vars
sys.prefix = sys.exec_prefix = sys.base_prefix = sys.base_exec_prefix = install
sys.executable = os.path.join(install, "bin", "python" + data["VERSION"])
sys.abiflags = data["ABIFLAGS"]
sys.platform = platform
if multiarch:
    sys.implementation._multiarch = multiarch
elif hasattr(sys.implementation, "_multiarch"):
    del sys.implementation._multiarch
os.environ["_PYTHON_SYSCONFIGDATA_NAME"] = data_name
os.environ["_PYTHON_HOST_PLATFORM"] = host_platform
for name in [m for m in sys.modules if m == "sysconfig" or m.startswith("sysconfig.")]:
    del sys.modules[name]
import importlib.machinery as m, importlib.util, sysconfig
assert sysconfig.__file__.startswith(stdlib), sysconfig.__file__
host_suffix = m.EXTENSION_SUFFIXES[0]
print(json.dumps({
    "version": list(map(str, sys.version_info)),
    "hexversion": sys.hexversion,
    "cache_tag": sys.implementation.cache_tag,
    "name": sys.implementation.name,
    "abiflags": sys.abiflags,
    "platform": sysconfig.get_platform(),
    "paths": sysconfig.get_paths(),
    "paths_abstract": sysconfig.get_paths(expand=False),
    "config_vars": {k: str(v) for k, v in sorted(sysconfig.get_config_vars().items())},
    "prefix": sys.prefix,
    "suffixes": {"source": m.SOURCE_SUFFIXES, "bytecode": m.BYTECODE_SUFFIXES,
                 "extension": [ext_suffix if s == host_suffix else s
                               for s in m.EXTENSION_SUFFIXES]},
    "magic": importlib.util.MAGIC_NUMBER.hex(),
    "builtin_modules": json.loads(builtin),
}))
"""


def compute(python, install, version, target):
    """The facts introspect.probe() would ask the interpreter, without running it."""
    stdlib = os.path.join(install, "lib", f"python{version}")
    found = glob.glob(os.path.join(stdlib, "_sysconfigdata_*.py"))
    if len(found) != 1:
        raise ArmpyError(f"{stdlib}: expected one _sysconfigdata_*.py, found {len(found)}")
    data_name = os.path.basename(found[0])[:-3]
    makefile = makefile_vars(glob.glob(os.path.join(stdlib, f"config-{version}*", "Makefile")))
    multiarch = makefile.get("MULTIARCH", "")
    host_platform = makefile.get("_PYTHON_HOST_PLATFORM") or target.sysconfig_platform
    ext_suffix = makefile.get("EXT_SUFFIX") or makefile.get("SHLIB_SUFFIX")
    command = [python, "-I", "-S", "-B", "-c", PROBE, install, stdlib, data_name,
               target.platform, multiarch, host_platform, ext_suffix,
               json.dumps(builtin_modules(stdlib, version))]
    out = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise ArmpyError(f"{python}: could not read the build's sysconfig data ({last})")
    return json.loads(out.stdout)


def makefile_vars(paths):
    """NAME=value lines of the installed Makefile (only the simple ones are needed)."""
    if len(paths) != 1:
        raise ArmpyError(f"expected one installed config-X.Y*/Makefile, found {len(paths)}")
    found = {}
    with open(paths[0]) as f:
        for line in f:
            match = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=\s*(.*?)\s*$", line)
            if match and match.group(1) not in found:
                found[match.group(1)] = match.group(2)
    return found


def builtin_modules(stdlib, version):
    """sys.builtin_module_names: the interpreter's inittab, installed as config.c."""
    paths = glob.glob(os.path.join(stdlib, f"config-{version}*", "config.c"))
    if len(paths) != 1:
        raise ArmpyError(f"expected one installed config-X.Y*/config.c, found {len(paths)}")
    with open(paths[0]) as f:
        inittab = f.read().split("_PyImport_Inittab[]", 1)[-1]
    return sorted(set(re.findall(r'\{"(\w+)",', inittab)))
