"""Reading ELF facts (glibc symbol versions, needed libraries) with pyelftools."""
import hashlib
import os
import re

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection, GNUVerSymSection

GLIBC_RE = re.compile(r"^GLIBC_(\d+)\.(\d+)(?:\.(\d+))?$")


def is_elf(path):
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def elf_files(root):
    for dirpath, _dirs, files in os.walk(root):
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            if not os.path.islink(path) and is_elf(path):
                yield path


def needed_libraries(path):
    """The DT_NEEDED entries of an ELF file."""
    with open(path, "rb") as f:
        dynamic = ELFFile(f).get_section_by_name(".dynamic")
        if dynamic is None:
            return []
        return [t.needed for t in dynamic.iter_tags() if t.entry.d_tag == "DT_NEEDED"]


def glibc_versions(path):
    """The GLIBC_x.y versions an ELF file requires, as (major, minor, patch) tuples."""
    with open(path, "rb") as f:
        try:
            return set(glibc_requirements(ELFFile(f)))
        except ELFError:
            return set()


def glibc_requirements(elf):
    """{(major, minor, patch): {symbol names}} for every GLIBC version the file needs."""
    by_index = {}
    versym = dynsym = None
    for section in elf.iter_sections():
        if isinstance(section, GNUVerNeedSection):
            for _needed, auxiliaries in section.iter_versions():
                for aux in auxiliaries:
                    match = GLIBC_RE.match(aux.name)
                    if match:
                        version = tuple(int(x or 0) for x in match.groups())
                        by_index[aux.entry["vna_other"]] = version
        elif isinstance(section, GNUVerSymSection):
            versym = section
        elif section.name == ".dynsym":
            dynsym = section
    found = {version: set() for version in by_index.values()}
    if versym is not None and dynsym is not None:
        for number, symbol in enumerate(dynsym.iter_symbols()):
            index = versym.get_symbol(number).entry["ndx"]
            if isinstance(index, int) and (index & 0x7FFF) in by_index:
                found[by_index[index & 0x7FFF]].add(symbol.name)
    return found


def max_glibc_version(root):
    """Highest GLIBC symbol version required by any ELF file under root, as 'x.y'."""
    versions = set()
    for path in elf_files(root):
        versions |= glibc_versions(path)
    return format_version(max(versions)) if versions else None


def format_version(version):
    """(2, 17, 0) -> '2.17'."""
    major, minor, patch = version
    return f"{major}.{minor}" + (f".{patch}" if patch else "")


SHF_ALLOC = 0x2
PT_LOAD = "PT_LOAD"
ST_VALUE_OFFSET = 8     # in an Elf64_Sym: st_name (4), st_info, st_other, st_shndx (2)


def settle_after_edit(path):
    """After debugedit: what of the file still depends on the build paths' lengths.
    debugedit rewrites the debug sections in place and leaves two things as the link
    made them: bytes between sections outside the loaded segments (stale bytes of the
    file before the edit) and the values of symbols in debug sections (the linker's
    `$d` marks, offsets into the debug information as linked). Both get 0, and the
    build-id is digested again from the file that results."""
    with open(path, "rb") as f:
        elf = ELFFile(f)
        if elf.elfclass != 64:
            return
        header = elf.header
        covered = [(0, header["e_ehsize"]),
                   (header["e_phoff"], header["e_phoff"] + header["e_phnum"] * header["e_phentsize"]),
                   (header["e_shoff"], header["e_shoff"] + header["e_shnum"] * header["e_shentsize"])]
        covered += [(s["p_offset"], s["p_offset"] + s["p_filesz"]) for s in elf.iter_segments()
                    if s["p_type"] == PT_LOAD]
        covered += [(s["sh_offset"], s["sh_offset"] + s["sh_size"]) for s in elf.iter_sections()
                    if s["sh_type"] != "SHT_NOBITS"]
        note = elf.get_section_by_name(".note.gnu.build-id")
        build_id = (note["sh_offset"] + 16, note["sh_size"] - 16) if note else None
        symbol_values = []
        symtab = elf.get_section_by_name(".symtab")
        for index, symbol in enumerate(symtab.iter_symbols() if symtab else ()):
            shndx = symbol["st_shndx"]
            if isinstance(shndx, int) and 0 < shndx < elf.num_sections() and symbol["st_value"] \
                    and not elf.get_section(shndx)["sh_flags"] & SHF_ALLOC:
                symbol_values.append(symtab["sh_offset"] + index * symtab["sh_entsize"]
                                     + ST_VALUE_OFFSET)
    size = os.path.getsize(path)
    gaps, end = [], 0
    for start, stop in sorted(covered):
        if start > end:
            gaps.append((end, start))
        end = max(end, stop)
    if end < size:
        gaps.append((end, size))
    with open(path, "r+b") as f:
        for start, stop in gaps:
            f.seek(start)
            f.write(bytes(stop - start))
        for offset in symbol_values:
            f.seek(offset)
            f.write(bytes(8))
        if build_id:
            # A new build-id: the SHA-1 of the settled file with the id zeroed (a
            # debugedit of an unchanged file keeps the id it finds).
            f.seek(build_id[0])
            f.write(bytes(build_id[1]))
            f.seek(0)
            digest = hashlib.new("sha1", f.read()).digest()[:build_id[1]]
            f.seek(build_id[0])
            f.write(digest)
