"""What makes an install_only archive large: debug information, binaries, tests, the rest.

    .venv/bin/python benchmarks/sizes.py dist/cpython-…-install_only.tar.gz \
        dist/cpython-…-install_only_stripped.tar.gz

Prints, per archive: compressed size, unpacked bytes by kind (DWARF sections of
ELF files, the rest of ELF files, the stdlib's test packages, other files) and
the largest files.
"""
import io
import os
import sys

from elftools.elf.elffile import ELFFile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from armpy import archives  # noqa: E402

TEST_DIRS = ("/test/", "/tests/", "/idle_test/")


def breakdown(path):
    kinds = {"elf debug sections": 0, "elf other": 0, "stdlib tests": 0, "other": 0}
    largest = []
    with archives.open_tar(path) as tar:
        for member in tar:
            if not member.isfile():
                continue
            data = tar.extractfile(member).read()
            largest.append((len(data), member.name))
            if data[:4] == b"\x7fELF":
                debug = sum(s.data_size for s in ELFFile(io.BytesIO(data)).iter_sections()
                            if s.name.startswith(".debug_"))
                kinds["elf debug sections"] += debug
                kinds["elf other"] += len(data) - debug
            elif any(d in member.name for d in TEST_DIRS):
                kinds["stdlib tests"] += len(data)
            else:
                kinds["other"] += len(data)
    return kinds, sorted(largest, reverse=True)[:8]


def main():
    for path in sys.argv[1:]:
        kinds, largest = breakdown(path)
        print(f"{os.path.basename(path)}: {os.path.getsize(path) / 1e6:.1f} MB compressed, "
              f"{sum(kinds.values()) / 1e6:.1f} MB unpacked")
        for kind, size in kinds.items():
            print(f"  {kind:20} {size / 1e6:8.1f} MB")
        for size, name in largest:
            print(f"  {size / 1e6:8.1f} MB  {name}")


if __name__ == "__main__":
    main()
