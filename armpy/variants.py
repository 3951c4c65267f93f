"""Build variants: free-threaded CPython (--disable-gil) and debug CPython
(--with-pydebug), and the names each gives its files.

A variant adds its ABI flag (PEP 3149) to the interpreter's names: a free-threaded
3.13 is bin/python3.13t with lib/python3.13t and libpython3.13t.so; a debug one is
bin/python3.13d with lib/python3.13; a free-threaded debug one python3.13td. Its
extension modules end .cpython-313t-….so, so they never load in another variant.
"""
import glob
import os
import re

from .errors import ArmpyError

# Each variant's word in build_options, and the ABI flag it adds, in CPython's order.
VARIANTS = {"freethreaded": "t", "debug": "d"}


def variants_of(build_options):
    parts = build_options.split("+")
    return [v for v in VARIANTS if v in parts]


def name_of(build_options):
    """freethreaded, debug, freethreaded+debug, or None for the default build: the
    variant names of downloads indexes (uv's) and of standalone-CPython archives."""
    return "+".join(variants_of(build_options)) or None


def abiflags_of(build_options):
    return "".join(VARIANTS[v] for v in variants_of(build_options))


def stdlib_name(major_minor, abiflags):
    """lib/'s directory of the standard library: only free threading renames it."""
    return f"python{major_minor}" + ("t" if "t" in abiflags else "")


def of_install(install):
    """(major_minor, abiflags) of an install tree: from its standard library's
    sysconfig data (_sysconfigdata_{abiflags}_{platform}_{multiarch}.py), or on
    Windows from its python3X.dll."""
    found = []
    for stdlib in glob.glob(os.path.join(install, "lib", "python3.*")):
        match = re.fullmatch(r"python(3\.\d+)t?", os.path.basename(stdlib))
        for data in glob.glob(os.path.join(stdlib, "_sysconfigdata_*_*.py")) if match else ():
            found.append((match.group(1), os.path.basename(data).split("_")[2]))
    if not found:
        found = [(f"3.{os.path.basename(p)[len('python3'):-len('.dll')]}", "")
                 for p in glob.glob(os.path.join(install, "python3[0-9]*.dll"))]
    if len(found) != 1:
        raise ArmpyError(f"{install}: expected one lib/python3.X/_sysconfigdata_*.py or "
                         f"python3X.dll, found {len(found)}")
    return found[0]
