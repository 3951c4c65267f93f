"""Checking a Mach-O code signature's page hashes against the file.

macholib finds the signature (LC_CODE_SIGNATURE) but does not read its blobs, so
the few fixed-layout structures needed here are read with struct: the embedded
signature's index, and each CodeDirectory's hash slots (Apple's
<Kernel/kern/cs_blobs.h> layout, big-endian).
"""
import hashlib
import struct

EMBEDDED_SIGNATURE = 0xFADE0CC0
CODE_DIRECTORY = 0xFADE0C02
# Slot 0 holds the CodeDirectory; 0x1000–0x1004 hold alternates (other hash types).
DIRECTORY_SLOTS = {0} | set(range(0x1000, 0x1005))
HASH_TYPES = {1: "sha1", 2: "sha256", 3: "sha256", 4: "sha384"}   # 3: SHA-256 cut to 20 bytes
DIRECTORY_HEADER = ">IIIIIIIIIBBBBI"


def signature_problems(data, slice_offset, dataoff, datasize):
    """Problems with the signature at `dataoff` (relative to the slice), as strings."""
    blob = data[slice_offset + dataoff: slice_offset + dataoff + datasize]
    if len(blob) < 12:
        return ["code signature lies beyond the end of the file"]
    magic, _length, count = struct.unpack_from(">III", blob, 0)
    if magic != EMBEDDED_SIGNATURE:
        return [f"code signature has magic {magic:#x}, not an embedded signature"]
    directories = []
    for index in range(count):
        slot, offset = struct.unpack_from(">II", blob, 12 + 8 * index)
        if slot in DIRECTORY_SLOTS:
            directories.append(offset)
    if not directories:
        return ["code signature has no CodeDirectory"]
    problems = []
    for offset in directories:
        problems += directory_problems(data, slice_offset, blob, offset)
    return problems


def directory_problems(data, slice_offset, blob, offset):
    (magic, _length, _version, _flags, hash_offset, _ident, _special, code_slots, code_limit,
     hash_size, hash_type, _platform, page_shift, _spare) = struct.unpack_from(
        DIRECTORY_HEADER, blob, offset)
    if magic != CODE_DIRECTORY:
        return [f"CodeDirectory has magic {magic:#x}"]
    if hash_type not in HASH_TYPES:
        return [f"CodeDirectory uses unknown hash type {hash_type}"]
    page = 1 << page_shift if page_shift else code_limit
    bad = []
    for slot in range(code_slots):
        start = slot * page
        content = data[slice_offset + start: slice_offset + min(start + page, code_limit)]
        actual = hashlib.new(HASH_TYPES[hash_type], content).digest()[:hash_size]
        stored_at = offset + hash_offset + slot * hash_size
        if blob[stored_at: stored_at + hash_size] != actual:
            bad.append(slot)
    if bad:
        return [f"{len(bad)} of {code_slots} page hash(es) ({HASH_TYPES[hash_type]}) do not "
                f"match the file, first at page {bad[0]} (offset {bad[0] * page:#x}): "
                "modified after signing"]
    return []
