"""Reading ELF facts (glibc symbol versions, needed libraries) with pyelftools."""
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
