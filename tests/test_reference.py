"""Each build against the native reference: Debian's own arm64 python3.13, run under qemu.

What configure cannot probe in a cross build must be answered on purpose; any
difference in pyconfig.h or in the API surface from the native build must be
listed with its reason in reference/<target>/<X.Y>-differences.toml.
"""
import os
import re

import pytest
from elftools.elf.elffile import ELFFile

from armpy import elf, reference, sources
from armpy.errors import ArmpyError
from armpy.targets import DEFAULT_TARGET
from conftest import CACHE_DIR, ROOT, run_python

pytestmark = pytest.mark.build


@pytest.fixture(scope="session")
def native():
    return reference.reference_facts(DEFAULT_TARGET, "3.13", CACHE_DIR,
                                     os.path.join(ROOT, "build", "reference", DEFAULT_TARGET))


def test_reference_is_debians_native_build(native):
    defines = native["pyconfig"]
    assert defines["HAVE_COMPUTED_GOTOS"] == "1" and "HAVE_WORKING_TZSET" in defines
    assert "tzset" in native["api"]["time"] and "memfd_create" in native["api"]["os"]
    assert "Connection.enable_load_extension" in native["api"]["_sqlite3"]


def test_build_differs_from_native_only_as_listed(artifact, extracted, native):
    ours = reference.build_facts(str(extracted))
    allowed = reference.load_allowed(DEFAULT_TARGET, "3.13", artifact.toolchain)
    result = reference.compare(ours, native, allowed)
    assert not result["unexpected"] and not result["stale"], \
        "\n".join(reference.report_lines(result))
    # What the cross build used to lose to configure's defaults is there now.
    assert ours["pyconfig"]["HAVE_COMPUTED_GOTOS"] == "1"
    assert "tzset" in ours["api"]["time"]
    assert "Connection.enable_load_extension" in ours["api"]["_sqlite3"]


def test_an_unlisted_difference_fails_and_a_stale_entry_is_reported(native):
    """A real reference with one define removed and one name added, against its own list."""
    ours = {"pyconfig": dict(native["pyconfig"]), "api": dict(native["api"])}
    del ours["pyconfig"]["HAVE_WORKING_TZSET"]
    ours["api"]["time"] = dict(native["api"]["time"], armpy_extra=None)
    allowed = [("api:time.armpy_extra", {"why": "planted"}), ("pyconfig:HAVE_NOTHING", {})]
    result = reference.compare(ours, native, allowed)
    assert list(result["unexpected"]) == ["pyconfig:HAVE_WORKING_TZSET"]
    assert result["unexpected"]["pyconfig:HAVE_WORKING_TZSET"] == ("1", None)
    assert result["stale"] == ["pyconfig:HAVE_NOTHING"] and result["listed"] == 1


def test_difference_entries_need_a_reason(tmp_path, monkeypatch):
    folder = tmp_path / DEFAULT_TARGET
    folder.mkdir()
    (folder / "3.13-differences.toml").write_text('[[difference]]\nname = "api:_dbm"\n')
    monkeypatch.setattr(reference, "REFERENCE_DIR", str(tmp_path))
    with pytest.raises(ArmpyError, match="difference 1 has no 'why'"):
        reference.load_allowed(DEFAULT_TARGET, "3.13", "zig")


def test_a_pin_the_archive_dropped_is_named_with_how_to_repin(tmp_path, monkeypatch):
    """Debian keeps only a suite's current versions: a superseded pin fails in one line
    naming the command, and --repin moves it to the archive's current version and digest."""
    folder = tmp_path / DEFAULT_TARGET
    folder.mkdir()
    spec = folder / "debian-python3.13.toml"
    spec.write_text('# kept\nsuite = "trixie"\narchitecture = "arm64"\n\n[[package]]\n'
                    'name = "libc6"\nversion = "2.41-12+deb13u4"\n'
                    'file = "libc6_2.41-12+deb13u4_arm64.deb"\nsha256 = "8784eda966b189c777a3'
                    '84dac5ce009e8fc9b52d006926c5a013e7fa8aa688cc"\nsize = 2483572\n')
    monkeypatch.setattr(reference, "REFERENCE_DIR", str(tmp_path))
    apt_dir = os.path.join(os.path.dirname(CACHE_DIR), "apt")
    [provider] = reference.providers(reference.load_spec(DEFAULT_TARGET, "3.13"))
    with pytest.raises(ArmpyError, match=r"has no libc6:arm64=2\.41-12\+deb13u4 .*"
                                         r"'python -m armpy\.reference --repin'"):
        sources.provider_url(provider, CACHE_DIR)
    changed = reference.repin(DEFAULT_TARGET, "3.13", apt_dir)
    [pin] = reference.load_spec(DEFAULT_TARGET, "3.13")["package"]
    assert changed == [f"libc6: 2.41-12+deb13u4 -> {pin['version']}"]
    assert spec.read_text().startswith("# kept\n")
    [provider] = reference.providers(reference.load_spec(DEFAULT_TARGET, "3.13"))
    path, _ = sources.fetch([provider], str(tmp_path / "cache"))
    assert sources.sha256_of(path) == pin["sha256"] and os.path.getsize(path) == pin["size"]


def test_calls_above_the_glibc_floor_work_where_the_kernel_has_them(artifact, extracted):
    """memfd_create, copy_file_range (glibc 2.27), preadv2 (2.26), close_range (2.34),
    getrandom (2.25) and PIDFD_NONBLOCK (2.36 headers) in a build for glibc 2.17."""
    script = ("import errno, os\n"
              "a = os.memfd_create('a', os.MFD_CLOEXEC); b = os.memfd_create('b')\n"
              "os.write(a, b'armpy'); os.lseek(a, 0, 0)\n"
              "print(os.copy_file_range(a, b, 5), os.pread(b, 5, 0).decode())\n"
              # Flags reach preadv2; a kernel without it (qemu-user 7.2 has none) gets
              # glibc's answer, ENOTSUP. A build without preadv2 raises NotImplementedError.
              "try:\n"
              "    print(os.preadv(b, [bytearray(5)], 0, os.RWF_NOWAIT))\n"
              "except OSError as error:\n"
              "    print(errno.errorcode[error.errno])\n"
              "r, w = os.pipe(); os.closerange(r, w + 1)\n"
              "print(sum(1 for fd in (r, w) if not os.path.exists(f'/proc/self/fd/{fd}')))\n"
              "print(len(os.getrandom(16, os.GRND_NONBLOCK)), os.PIDFD_NONBLOCK == os.O_NONBLOCK)\n")
    result = run_python(extracted / "bin" / "python3", "-c", script)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["5", "armpy"], result.stderr
    assert lines[1] in ("5", "ENOTSUP"), result.stdout + result.stderr
    assert lines[2:] == ["2", "16 True"], result.stdout + result.stderr


def compat_functions():
    """The functions toolchains/zig-glibc-compat/compat.c defines."""
    with open(os.path.join(ROOT, "toolchains", "zig-glibc-compat", "compat.c")) as f:
        return set(re.findall(r"^HIDDEN [\w ]+?\n(\w+)\(", f.read(), re.M))


def test_no_binary_leaves_a_supplied_function_to_the_running_glibc(artifact, extracted):
    """compat.c's functions are defined in every zig-built binary that calls them. An
    unversioned, non-weak undefined reference would need whatever the running glibc has
    (nothing before 2.25-2.34), out of the validator's sight: there must be none, with any
    toolchain (gcc and clang reference glibc's, versioned; zig's are defined inside)."""
    supplied = compat_functions()
    assert {"memfd_create", "preadv2", "close_range", "getrandom"} <= supplied
    offenders = []
    for path in elf.elf_files(str(extracted)):
        with open(path, "rb") as f:
            binary = ELFFile(f)
            dynsym = binary.get_section_by_name(".dynsym")
            # Weak references (OpenSSL's getentropy) are checked for at run time.
            undefined = {s.name for s in dynsym.iter_symbols() if s["st_shndx"] == "SHN_UNDEF"
                         and s["st_info"]["bind"] == "STB_GLOBAL"} if dynsym else set()
            versioned = set().union(*elf.glibc_requirements(binary).values())
        offenders += [f"{os.path.relpath(path, extracted)}: {name}"
                      for name in sorted((undefined & supplied) - versioned)]
    assert not offenders, offenders
