"""Telling binary formats apart by their first bytes, without trusting file names."""
import struct

ELF_MAGIC = b"\x7fELF"
MACHO_MAGICS = (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe")   # 64- and 32-bit, little-endian
FAT_MAGIC = b"\xca\xfe\xba\xbe"


def format_of(path):
    """'elf', 'macho', 'pe' or None."""
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] == ELF_MAGIC:
            return "elf"
        if head[:4] in MACHO_MAGICS:
            return "macho"
        # Java class files share the fat magic; there the next word is a version (>= 45).
        if head[:4] == FAT_MAGIC and 0 < struct.unpack(">I", head[4:8])[0] < 20:
            return "macho"
        if head[:2] == b"MZ" and len(head) == 64:
            (pe_offset,) = struct.unpack_from("<I", head, 0x3C)
            f.seek(pe_offset)
            if f.read(4) == b"PE\0\0":
                return "pe"
    return None
