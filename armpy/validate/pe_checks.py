"""PE rules (Windows arm64), read with pefile."""
import fnmatch
import posixpath

import pefile

from .rules import Findings, Violation

DIRECTORIES = [pefile.DIRECTORY_ENTRY[name] for name in (
    "IMAGE_DIRECTORY_ENTRY_IMPORT", "IMAGE_DIRECTORY_ENTRY_DELAY_IMPORT",
    "IMAGE_DIRECTORY_ENTRY_EXPORT")]


def check(path, rel, tree, rules, declared):
    pe_rules = rules["pe"]
    found = Findings(rel)
    violation = found.add

    try:
        pe = pefile.PE(path, fast_load=True)
        pe.parse_data_directories(directories=DIRECTORIES)
    except pefile.PEFormatError as error:
        return [Violation(rel, "pe-readable", f"not a readable PE file ({error})")]
    try:
        machine = pefile.MACHINE_TYPE.get(pe.FILE_HEADER.Machine, hex(pe.FILE_HEADER.Machine))
        if machine != pe_rules["machine"]:
            if not any(fnmatch.fnmatchcase(rel, pattern)
                       for pattern in pe_rules.get("foreign_machine_data", [])):
                violation("pe-machine", f"machine is {machine}, not {pe_rules['machine']}")
            return found
        allowed = [p.lower() for p in pe_rules["imports"]]
        for dll in imported_dlls(pe):
            if not any(fnmatch.fnmatchcase(dll.lower(), p) for p in allowed):
                violation("pe-imports", f"imports {dll}, which is not on the allowlist "
                          f"in validation/{declared.target}.toml")
        if fnmatch.fnmatchcase(posixpath.basename(rel).lower(), pe_rules["extension_modules"]):
            module = posixpath.basename(rel).split(".", 1)[0]
            table = getattr(pe, "DIRECTORY_ENTRY_EXPORT", None)
            exports = {s.name.decode(errors="replace") for s in table.symbols if s.name} \
                if table else set()
            if f"PyInit_{module}" not in exports:
                violation("pe-extension-export", f"does not export PyInit_{module}, "
                          "so Python cannot import it")
    finally:
        pe.close()
    return found


def imported_dlls(pe):
    entries = getattr(pe, "DIRECTORY_ENTRY_IMPORT", []) + \
        getattr(pe, "DIRECTORY_ENTRY_DELAY_IMPORT", [])
    return [e.dll.decode(errors="replace") for e in entries]
