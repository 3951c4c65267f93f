"""Facts about a built interpreter, asked of the interpreter itself (under qemu if needed)."""
import json
import subprocess

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


def probe(python, runner, target=None, binds=()):
    """The interpreter's answers; with `target`, run as runner.command runs its programs
    (`binds`: folders it needs), and its paths given as this host's."""
    # -B: asking must not add bytecode files to the tree being packaged.
    command = list(runner) + [python, "-I", "-B", "-c", PROBE]
    if target is not None:
        command = runners.command(target, command, binds)
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        raise ArmpyError(f"{python}: interpreter did not answer within 300 s") from None
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise ArmpyError(f"{python}: interpreter failed to start ({last})")
    facts = json.loads(out.stdout)
    if target is not None:
        facts = runners.host_paths(target, facts)
    return facts
