"""ELF rules (aarch64 Linux), read with pyelftools.

Each check returns Violations; the data they apply comes from the target's
`[elf]` table in validation/<target>.toml.
"""
import fnmatch
import os
import posixpath

from elftools.common.exceptions import ELFError
from elftools.elf.dynamic import DynamicSection, DynamicSegment
from elftools.elf.elffile import ELFFile

from ..elf import format_version, glibc_requirements
from .rules import Findings, Violation, version_tuple

DF_TEXTREL, DF_BIND_NOW = 0x4, 0x8
DF_1_NOW = 0x1
PF_X = 0x1
ORIGINS = ("$ORIGIN", "${ORIGIN}")


def check(path, rel, tree, rules, declared):
    """All ELF rules for one file. `rel` is its path inside `tree`, the artifact root."""
    elf_rules = rules["elf"]
    found = Findings(rel)
    violation = found.add

    with open(path, "rb") as f:
        try:
            elf = ELFFile(f)
            machine = elf.header.e_machine
        except (ELFError, ValueError) as error:
            return [Violation(rel, "elf-readable", f"not a readable ELF file ({error})")]
        if machine != elf_rules["machine"]:
            violation("elf-machine", f"machine is {machine}, not {elf_rules['machine']}")
            return found
        if elf.header.e_type == "ET_REL":     # object files are not loaded as they are
            return found
        for problem in misaligned_segments(elf):
            violation("segment-alignment", problem)
        tags = dynamic_tags(elf)
        search_paths = check_search_paths(tags, rel, violation)
        check_needed(tags, search_paths, tree, elf_rules, violation)
        floor = declared.glibc_floor or rules["target"].glibc_floor
        requirements = glibc_requirements(elf)
        found.glibc_needed = max(requirements, default=None)
        for version, symbols in sorted(requirements.items()):
            if version > version_tuple(floor):
                shown = ", ".join(sorted(symbols)[:5]) + (" …" if len(symbols) > 5 else "")
                violation("glibc-floor", f"needs GLIBC_{format_version(version)} "
                          f"(floor {floor}) for {shown or 'a version reference'}")
        for flag in elf_rules["hardening"]:
            problem = HARDENING[flag](elf, tags)
            if problem:
                violation(f"hardening-{flag}", problem)
        exports = elf_rules.get("exports", {})
        if any(fnmatch.fnmatchcase(rel, pattern) for pattern in exports.get("files", [])):
            leaked = exported_matching(elf, exports["forbidden"])
            if leaked:
                violation("bundled-symbols-exported",
                          f"exports {len(leaked)} symbol(s) of bundled libraries: "
                          + ", ".join(leaked[:5]) + (" …" if len(leaked) > 5 else ""))
    return found


def misaligned_segments(elf):
    """A loadable segment must sit at the same offset from an alignment boundary in the
    file as in memory, or mmap refuses it and the program cannot start (a strip or
    patchelf that moves sections can break this)."""
    for number, segment in enumerate(elf.iter_segments()):
        align, offset, address = segment["p_align"], segment["p_offset"], segment["p_vaddr"]
        if segment["p_type"] == "PT_LOAD" and align > 1 and offset % align != address % align:
            yield (f"LOAD segment {number}: file offset {offset:#x} and address {address:#x} "
                   f"differ modulo its alignment {align:#x}; the loader refuses it")


def dynamic_tags(elf):
    """{tag name: [entries]} from the dynamic section, or the segment if sections are gone."""
    table = next((s for s in elf.iter_sections() if isinstance(s, DynamicSection)), None)
    if table is None:
        table = next((s for s in elf.iter_segments() if isinstance(s, DynamicSegment)), None)
    tags = {}
    for tag in (table.iter_tags() if table is not None else []):
        tags.setdefault(tag.entry.d_tag, []).append(tag)
    return tags


def check_search_paths(tags, rel, violation):
    """RPATH/RUNPATH entries must be $ORIGIN-relative and stay inside the tree.
    Returns the tree-relative directories they name."""
    inside = []
    for kind, attribute in (("DT_RPATH", "rpath"), ("DT_RUNPATH", "runpath")):
        for tag in tags.get(kind, []):
            for entry in getattr(tag, attribute).split(":"):
                origin = next((o for o in ORIGINS if entry.startswith(o)), None)
                if origin is None:
                    violation("search-path", f"{kind} '{entry}' is not relative to $ORIGIN")
                    continue
                target = posixpath.normpath(posixpath.join(posixpath.dirname(rel),
                                                           entry[len(origin):].lstrip("/")))
                if target == ".." or target.startswith("../"):
                    violation("search-path", f"{kind} '{entry}' points outside the tree")
                else:
                    inside.append(target)
    return inside


def check_needed(tags, search_paths, tree, elf_rules, violation):
    for tag in tags.get("DT_NEEDED", []):
        name = tag.needed
        if name in elf_rules["needed"]:
            continue
        if any(fnmatch.fnmatchcase(name, p) for p in elf_rules.get("needed_from_tree", [])):
            if any(os.path.exists(os.path.join(tree, d, name)) for d in search_paths):
                continue
            violation("needed-libraries", f"needs {name}, which no $ORIGIN search path "
                      "of this file finds in the tree")
            continue
        violation("needed-libraries", f"needs {name}, which is neither a system library "
                  f"every target has ({', '.join(elf_rules['needed'])}) nor shipped in the tree")


def exported_matching(elf, patterns):
    dynsym = elf.get_section_by_name(".dynsym")
    if dynsym is None:
        return []
    return sorted(
        s.name for s in dynsym.iter_symbols()
        if s.entry.st_shndx != "SHN_UNDEF"
        and s.entry.st_info.bind in ("STB_GLOBAL", "STB_WEAK")
        and s.entry.st_other.visibility in ("STV_DEFAULT", "STV_PROTECTED")
        and any(fnmatch.fnmatchcase(s.name, p) for p in patterns))


def _segments(elf, kind):
    return [s for s in elf.iter_segments() if s.header.p_type == kind]


def _flag_values(tags, kind):
    return [t.entry.d_val for t in tags.get(kind, [])]


def _noexec_stack(elf, tags):
    stack = _segments(elf, "PT_GNU_STACK")
    if not stack:
        return "no PT_GNU_STACK header, so the loader gives it an executable stack"
    if stack[0].header.p_flags & PF_X:
        return "PT_GNU_STACK asks for an executable stack"
    return None


def _relro(elf, tags):
    return None if _segments(elf, "PT_GNU_RELRO") else "no PT_GNU_RELRO (link with -z relro)"


def _bind_now(elf, tags):
    if "DT_BIND_NOW" in tags or any(v & DF_BIND_NOW for v in _flag_values(tags, "DT_FLAGS")) \
            or any(v & DF_1_NOW for v in _flag_values(tags, "DT_FLAGS_1")):
        return None
    return "symbols are bound lazily (link with -z now)"


def _no_textrel(elf, tags):
    if "DT_TEXTREL" in tags or any(v & DF_TEXTREL for v in _flag_values(tags, "DT_FLAGS")):
        return "has text relocations (code not built position-independent)"
    return None


# The names used in the rules' `hardening` list.
HARDENING = {"noexec-stack": _noexec_stack, "relro": _relro, "bind-now": _bind_now,
             "no-textrel": _no_textrel}
