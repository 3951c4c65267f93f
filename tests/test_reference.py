"""Each build against the native reference: Debian's own arm64 python3.13, run under qemu.

What configure cannot probe in a cross build must be answered on purpose; any
difference in pyconfig.h or in the API surface from the native build must be
listed with its reason in reference/<target>/<X.Y>-differences.toml.
"""
import os

import pytest

from armpy import reference
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


def test_calls_above_the_glibc_floor_work_where_the_kernel_has_them(artifact, extracted):
    """memfd_create and copy_file_range (glibc 2.27) in a build for glibc 2.17."""
    script = ("import os\n"
              "a = os.memfd_create('a', os.MFD_CLOEXEC); b = os.memfd_create('b')\n"
              "os.write(a, b'armpy'); os.lseek(a, 0, 0)\n"
              "print(os.copy_file_range(a, b, 5), os.pread(b, 5, 0).decode())\n")
    result = run_python(extracted / "bin" / "python3", "-c", script)
    assert result.stdout.split() == ["5", "armpy"], result.stderr
