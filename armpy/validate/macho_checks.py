"""Mach-O rules (arm64 macOS), read with macholib; signatures in codesign.py."""
from macholib import mach_o
from macholib.MachO import MachO

from . import codesign
from .rules import Findings, Violation, version_tuple

MH_DSYM = 0xA   # mach-o/loader.h: the debug-information companion file (in a .dSYM bundle)
DYLIB_COMMANDS = {mach_o.LC_LOAD_DYLIB, mach_o.LC_LOAD_WEAK_DYLIB, mach_o.LC_REEXPORT_DYLIB,
                  mach_o.LC_LAZY_LOAD_DYLIB, mach_o.LC_LOAD_UPWARD_DYLIB}


def check(path, rel, tree, rules, declared):
    macho_rules = rules["macho"]
    found = Findings(rel)
    violation = found.add

    try:
        binary = MachO(path)
    except Exception as error:   # macholib raises plain ValueError/struct.error/KeyError
        return [Violation(rel, "macho-readable", f"not a readable Mach-O file ({error})")]
    with open(path, "rb") as f:
        data = f.read()
    wanted = declared.deployment_target or rules["target"].deployment_target
    for header in binary.headers:
        cpu = mach_o.CPU_TYPE_NAMES.get(header.header.cputype, str(header.header.cputype))
        if cpu.lower() != macho_rules["cpu"]:
            violation("macho-cpu", f"CPU type is {cpu}, not {macho_rules['cpu']}")
            continue
        commands = {}
        for load, command, payload in header.commands:
            name = mach_o.LC_NAMES.get(load.cmd, hex(load.cmd))
            if load.cmd in DYLIB_COMMANDS or load.cmd == mach_o.LC_RPATH:
                payload = payload.rstrip(b"\0").decode(errors="replace")
            commands.setdefault(name, []).append((load.cmd, command, payload))
        check_minimum_os(commands, wanted, violation)
        for load_cmd, _command, dylib in sum(commands.values(), []):
            if load_cmd in DYLIB_COMMANDS and not dylib.startswith(
                    tuple(macho_rules["dylib_prefixes"])):
                violation("macho-dylibs", f"loads {dylib}, outside "
                          f"{', '.join(macho_rules['dylib_prefixes'])}")
        for name in macho_rules["no_duplicates"]:
            values = [payload for _c, _cmd, payload in commands.get(name, [])]
            for value in sorted({v for v in values if values.count(v) > 1}):
                violation("macho-duplicate-load-command",
                          f"{name} {value} appears {values.count(value)} times")
        # A dSYM companion holds debug information only: it is never loaded or run.
        if macho_rules.get("code_signature") and header.header.filetype != MH_DSYM:
            signature = commands.get("LC_CODE_SIGNATURE")
            if not signature:
                violation("macho-code-signature", "not signed (no LC_CODE_SIGNATURE)")
            else:
                command = signature[0][1]
                for problem in codesign.signature_problems(data, header.offset, command.dataoff,
                                                           command.datasize):
                    violation("macho-code-signature", problem)
    return found


def check_minimum_os(commands, wanted, violation):
    if "LC_BUILD_VERSION" in commands:
        encoded = commands["LC_BUILD_VERSION"][0][1].minos
    elif "LC_VERSION_MIN_MACOSX" in commands:
        encoded = commands["LC_VERSION_MIN_MACOSX"][0][1].version
    else:
        violation("macho-minimum-os", "no LC_BUILD_VERSION, so no minimum macOS version")
        return
    found = (encoded >> 16, (encoded >> 8) & 0xFF, encoded & 0xFF)
    if found != version_tuple(wanted):
        shown = f"{found[0]}.{found[1]}" + (f".{found[2]}" if found[2] else "")
        violation("macho-minimum-os", f"minimum macOS is {shown}, not the declared "
                  f"deployment target {wanted}")
