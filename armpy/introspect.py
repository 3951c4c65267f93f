"""Facts about a built interpreter, asked of the interpreter itself (under qemu if needed)."""
import json

from . import runner as runners
from .errors import ArmpyError

# Runs inside the target interpreter; prints one JSON document.
PROBE = r"""
import importlib.machinery as m, importlib.util, json, sys, sysconfig
print(json.dumps({
    "version": list(map(str, sys.version_info)),
    "hexversion": sys.hexversion,
    "cache_tag": sys.implementation.cache_tag,
    "name": sys.implementation.name,
    # Windows has no sys.abiflags before 3.14.
    "abiflags": getattr(sys, "abiflags", ""),
    "platform": sysconfig.get_platform(),
    "paths": sysconfig.get_paths(),
    "paths_abstract": sysconfig.get_paths(expand=False),
    "config_vars": {k: str(v) for k, v in sorted(sysconfig.get_config_vars().items())},
    "prefix": sys.prefix,
    "suffixes": {"source": m.SOURCE_SUFFIXES, "bytecode": m.BYTECODE_SUFFIXES,
                 "extension": m.EXTENSION_SUFFIXES},
    "magic": importlib.util.MAGIC_NUMBER.hex(),
    "builtin_modules": sorted(sys.builtin_module_names),
}))
"""


def probe(python, target, binds=()):
    """The interpreter's answers, run as runner.command runs `target` programs
    (`binds`: folders it needs), its paths given as this host's."""
    # -B: asking must not add bytecode files to the tree being packaged.
    out = runners.run(target, [python, "-I", "-B", "-c", PROBE], binds, timeout=120)
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise ArmpyError(f"{python}: interpreter failed to start ({last})")
    return runners.host_paths(target, json.loads(out.stdout))
