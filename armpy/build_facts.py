"""Facts about a built interpreter, from the build alone: the target never runs.

A Python of the same version (the build-python of a cross build, or the built
interpreter of a native one) imports the installed tree's own sysconfig module
and sysconfig data, told the target's platform, multiarch and prefix; this is
how CPython's own cross build runs its build-time scripts, and it answers the
questions the smoke test asks the live interpreter (introspect.PROBE). What is
the same for one CPython version on every platform (bytecode magic, cache tag,
source suffixes) comes from that Python itself. Where the target does run, the
smoke test compares these facts with the live interpreter's.
"""
import glob
import json
import os
import re
import subprocess

from . import introspect, optimizations, platforms
from .errors import ArmpyError

# Runs in the build-python; argv: install, stdlib, sysconfigdata name, sys.platform,
# multiarch ("" for none), host platform, extension suffix, builtin modules (JSON).
# Runs in the build-python before introspect.PROBE; argv: install, stdlib, sysconfigdata
# name, sys.platform, multiarch ("" for none), host platform.
SETUP = r"""
import os, sys
install, stdlib, data_name, platform, multiarch, host_platform = sys.argv[1:]
sys.path.insert(0, stdlib)
data = __import__(data_name).build_time_vars
sys.prefix = sys.exec_prefix = sys.base_prefix = sys.base_exec_prefix = install
sys.executable = os.path.join(install, "bin", "python" + data["LDVERSION"])
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
import sysconfig
assert sysconfig.__file__.startswith(stdlib), sysconfig.__file__
"""


def compute(python, install, layout, target):
    """The facts introspect.probe() would ask the interpreter, without running it.

    Windows keeps no sysconfig data to read: its sysconfig asks the running
    interpreter (its import suffixes, its winver). There the facts are asked of
    the built interpreter, run as the smoke test runs it (Wine on Linux)."""
    if platforms.of(target).CPYTHON_BUILD == "pcbuild":
        return introspect.probe(os.path.join(install, layout["python"]), target, [install])
    stdlib = os.path.join(install, layout["stdlib"])
    found = glob.glob(os.path.join(stdlib, "_sysconfigdata_*.py"))
    if len(found) != 1:
        raise ArmpyError(f"{stdlib}: expected one _sysconfigdata_*.py, found {len(found)}")
    data_name = os.path.basename(found[0])[:-3]
    # The installed copy of the build's Makefile and config.c (config-X.Y[-multiarch]/).
    config_dirs = glob.glob(os.path.join(stdlib, "config-3.*", ""))
    if len(config_dirs) != 1:
        raise ArmpyError(f"{stdlib}: expected one config-3.* directory, "
                         f"found {len(config_dirs)}")
    makefile = optimizations.makefile_vars(
        config_dirs[0], {"MULTIARCH", "_PYTHON_HOST_PLATFORM", "EXT_SUFFIX", "SHLIB_SUFFIX"})
    multiarch = makefile.get("MULTIARCH", "")
    host_platform = makefile.get("_PYTHON_HOST_PLATFORM") or target.sysconfig_platform
    ext_suffix = makefile.get("EXT_SUFFIX") or makefile.get("SHLIB_SUFFIX")
    command = [python, "-I", "-S", "-B", "-c", SETUP + introspect.PROBE, install, stdlib,
               data_name, target.platform, multiarch, host_platform]
    out = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise ArmpyError(f"{python}: could not read the build's sysconfig data ({last})")
    facts = json.loads(out.stdout)
    # The two answers that come from the running binary rather than from sysconfig:
    # its import suffixes ([EXT_SUFFIX, ".abi3.so", ".so"] on POSIX, from the same
    # dynload source; a debug build also loads release builds' extensions, named by
    # pyconfig.h's ALT_SOABI, a C string in the sysconfig data) and its built-in
    # modules (its inittab).
    suffixes = facts["suffixes"]["extension"]
    alternative = facts["config_vars"].get("ALT_SOABI", "")    # 0 where undefined
    alternatives = ([f".{alternative[1:-1]}{makefile.get('SHLIB_SUFFIX', '.so')}"]
                    if alternative.startswith('"') else [])
    facts["suffixes"]["extension"] = [ext_suffix, *alternatives, *suffixes[1:]]
    facts["builtin_modules"] = builtin_modules(config_dirs[0])
    return facts


def builtin_modules(config_dir):
    """sys.builtin_module_names: the interpreter's inittab, installed as config.c."""
    with open(os.path.join(config_dir, "config.c")) as f:
        inittab = f.read().split("_PyImport_Inittab[]", 1)[-1]
    return sorted(set(re.findall(r'\{"(\w+)",', inittab)))
