"""What each build claims about its optimisation and its stripped archive, checked on the artifacts.

The manifest's build_options come from the build tree (armpy/optimizations.py,
which stops a build whose objects do not show what was asked for); here they
are checked again against the manifest's findings and the shipped files: the
configured flags, sysconfig data, pyconfig.h, the profile.
"""
import glob
import io
import json
import os
import re
import subprocess

import pytest
from elftools.elf.elffile import ELFFile

from armpy import archives, optimizations, sources
from conftest import BUILDS, DEFAULT_TOOLCHAIN

pytestmark = pytest.mark.build


def test_build_options_are_what_the_build_did(artifact, extracted):
    m = artifact.manifest
    requested = BUILDS[artifact.toolchain]
    found = m["armpy"]["optimizations"]
    assert m["build_options"] == requested and m["optimizations"] == requested
    # Computed gotos: the eval loop's dispatch, lost to configure's cross default before.
    defines = optimizations.pyconfig_defines(extracted / "include" / "python3.13" / "pyconfig.h")
    assert defines.get("HAVE_COMPUTED_GOTOS") == "1" and defines.get("USE_COMPUTED_GOTOS") == "1"
    assert found["computed_gotos"] is True
    # LTO: in the recorded flags, in the shipped sysconfig data, in every interpreter object.
    lto = "lto" in requested.split("+")
    flags = m["python_config_vars"]["CONFIGURE_CFLAGS_NODIST"].split()
    assert any(f.startswith("-flto") for f in flags) == lto, flags
    (sysconfigdata,) = glob.glob(str(extracted / "lib" / "python3.13" / "_sysconfigdata_*.py"))
    assert ("-flto" in open(sysconfigdata).read()) == lto
    assert (found["lto"]["lto_objects"] == found["lto"]["objects"] > 300) == lto
    assert (found["lto"]["lto_objects"] == 0) == (not lto)
    # Profile use: the eval loop was built with a profile of a training run of this build.
    if "pgo" in requested.split("+"):
        pgo = found["pgo"]
        assert pgo["eval_loop_profiled"] and pgo["objects_with_profile"] > 50
        assert len(pgo["profile"]["sha256"]) == 64 and pgo["profile"]["task"] in ("cpython", "short")
        assert_hot_functions_together(extracted / "bin" / "python3.13", artifact.toolchain)
    else:
        assert found["pgo"] is None


# Functions any training run makes hot: the eval loop and what it calls most.
HOT_FUNCTIONS = ("_PyEval_EvalFrameDefault", "_Py_Dealloc", "PyObject_GetAttr", "_PyType_Lookup",
                 "PyLong_FromLong", "PyFloat_FromDouble", "PyTuple_New")


def assert_hot_functions_together(path, toolchain):
    """The profile's hot functions sit together, not spread through .text: with lld
    (zig, clang) in their own .text.hot section (toolchains/lld-hot-text.ld); GNU ld
    (gcc) puts .text.hot first in .text, so there they span a fraction of it."""
    with open(path, "rb") as f:
        elf = ELFFile(f)
        symbols = {s.name: s for s in elf.get_section_by_name(".symtab").iter_symbols()
                   if s.name in HOT_FUNCTIONS and s["st_info"]["type"] == "STT_FUNC"}
        assert set(symbols) == set(HOT_FUNCTIONS)
        sections = [elf.get_section(s["st_shndx"]).name for s in symbols.values()]
        if toolchain == "gcc":
            text = elf.get_section_by_name(".text")
            starts = [s["st_value"] for s in symbols.values()]
            span = max(s["st_value"] + s["st_size"] for s in symbols.values()) - min(starts)
            assert set(sections) == {".text"} and span < text["sh_size"] / 4, span
        else:
            assert set(sections) == {".text.hot"}, dict(zip(symbols, sections))


def elf_members(path):
    """{member name: (has debug sections, build-id)} of the ELF files of an archive."""
    result = {}
    with archives.open_tar(str(path)) as tar:
        for member in tar:
            if not member.isfile():
                continue
            data = tar.extractfile(member).read()
            if data[:4] != b"\x7fELF":
                continue
            elf = ELFFile(io.BytesIO(data))
            debug = any(s.name.startswith(".debug_") for s in elf.iter_sections())
            note = elf.get_section_by_name(".note.gnu.build-id")
            build_id = next(note.iter_notes())["n_desc"] if note else None
            result[member.name] = (debug, build_id)
    return result


def test_stripped_archive_is_install_only_without_debug_information(artifact):
    sums = dict(reversed(line.split("  ")) for line in
                open(os.path.join(artifact.dist, "SHA256SUMS")).read().splitlines())
    stripped = artifact.install_only_stripped
    assert sums[os.path.basename(stripped)] == sources.sha256_of(stripped)
    smoke = json.load(open(artifact.smoke_stripped))
    assert smoke["failed"] == {} and smoke["extensions_imported"] >= 60
    with archives.open_tar(artifact.install_only) as a, archives.open_tar(stripped) as b:
        assert [(m.name, m.mode) for m in a] == [(m.name, m.mode) for m in b]
    full, lean = elf_members(artifact.install_only), elf_members(stripped)
    assert set(full) == set(lean) and len(full) > 60
    assert full["python/bin/python3.13"][0] and full["python/lib/libpython3.13.so.1.0"][0]
    assert not [name for name, (debug, _) in lean.items() if debug]
    # The same build-id on both sides: a debugger matches the two copies.
    assert all(lean[name][1] == full[name][1] and full[name][1] for name in full)
    assert os.path.getsize(stripped) < 0.6 * os.path.getsize(artifact.install_only)


def test_crash_of_stripped_build_symbolised_from_full_archive(artifact, tmp_path):
    """A segfault in the stripped interpreter, read back with the full archive's debug info."""
    if artifact.toolchain != DEFAULT_TOOLCHAIN:
        pytest.skip("one toolchain shows the method; both archives of every build are checked above")
    lean, debug = tmp_path / "stripped", tmp_path / "full"
    archives.extract(artifact.install_only_stripped, str(lean))
    archives.extract(artifact.full, str(debug))
    crash = subprocess.run(["sh", "-c", 'ulimit -c unlimited; exec "$0" -I -c '
                            '"import ctypes; ctypes.string_at(0)"',
                            str(lean / "python" / "bin" / "python3.13")],
                           cwd=tmp_path, capture_output=True, text=True, timeout=300,
                           env={"QEMU_CPU": "neoverse-n1"})
    assert crash.returncode == -11 or crash.returncode == 139, crash
    cores = glob.glob(str(tmp_path / "qemu_python3.13_*.core")) or glob.glob(str(tmp_path / "core*"))
    assert cores, os.listdir(tmp_path)
    # The unstripped interpreter and modules come from the full archive (gdb finds the
    # modules by name once the crashed process's own paths are out of its reach); the
    # C library is the one the process ran with, Debian's arm64 multiarch libc.
    install = debug / "python" / "install"
    search = f"{install}/lib/python3.13/lib-dynload:{install}/lib:/lib/aarch64-linux-gnu"
    gdb = subprocess.run(["gdb-multiarch", "-batch", "-nx", "-ex", "set sysroot /nonexistent",
                          "-ex", f"set solib-search-path {search}",
                          "-ex", f"file {install}/bin/python3.13", "-ex", f"core-file {cores[0]}",
                          "-ex", "bt 12"], capture_output=True, text=True, timeout=300)
    frames = [line for line in gdb.stdout.splitlines() if line.startswith("#")]
    text = "\n".join(frames)
    # Function names, and file and line from the full archive's debug information.
    assert re.search(r" in string_at \(.*\) at \S*Modules/_ctypes/_ctypes\.c:\d+", text), \
        gdb.stdout + gdb.stderr
    assert re.search(r" at \S*Objects/call\.c:\d+", text), text
