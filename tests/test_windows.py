"""aarch64-pc-windows-msvc, cross-built here with zig from CPython's PCbuild projects
and run here under Wine (arm64, under qemu-user).

The build's own smoke test ran the extracted archive under Wine: every extension
module, OpenSSL, SQLite, ctypes into kernel32, a venv with a local wheel and
PyPI's markupsafe built by MSVC. These tests check what the archive is
(python.org's layout and ABI names, PE files for ARM64) and ask the interpreter
again.
"""
import fnmatch
import json
import math
import os
import subprocess
import sys
import zipfile

import pefile
import pytest

from armpy import archives, introspect, manifest, package, regrtest, runner, smoke, sources
from armpy.platforms import windows
from armpy.sources import Upstream
from armpy.targets import TARGETS
from armpy.validate import rules
from conftest import CACHE_DIR, ROOT, WINDOWS_TARGET

pytestmark = pytest.mark.build

TARGET = TARGETS[WINDOWS_TARGET]


@pytest.fixture(scope="module")
def tree(windows_artifact, tmp_path_factory):
    """The install_only archive, extracted under a path with a space."""
    where = tmp_path_factory.mktemp("windows tree") / "with space"
    where.mkdir()
    archives.extract(windows_artifact.install_only, str(where))
    return os.path.join(str(where), "python")


def run_python(tree, code):
    command = runner.command(TARGET, [os.path.join(tree, "python.exe"), "-I", "-c", code],
                             binds=[tree])
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def test_published_files_say_what_ran_under_wine(windows_artifact):
    names = package.artifact_names(windows_artifact.opts)
    assert names["full"].startswith("cpython-3.13.15+dev-aarch64-pc-windows-msvc-noopt-full")
    for path in (windows_artifact.full, windows_artifact.install_only,
                 windows_artifact.install_only_stripped):
        assert os.path.exists(path)
    for path in (windows_artifact.smoke, windows_artifact.smoke_stripped):
        smoke = json.load(open(path))
        assert smoke["failed"] == {}
        assert smoke["runner"].startswith("Wine")
        assert {"extension_modules", "openssl_version", "sqlite_query", "ctypes_libc_call",
                "compression_round_trips", "decimal_arithmetic", "uuid4", "venv_and_wheels",
                "manifest_matches_interpreter"} <= set(smoke["passed"])
        assert smoke["extensions_imported"] >= 40
        # MSVC-built wheels installed into a venv of the archive, and their code ran:
        # numpy's solves a linear system, an FFT and a complex power (platforms/windows.py).
        assert smoke["wheels"] == [w["wheel"].filename for w in windows.SMOKE_WHEELS]
        assert any(name.startswith("numpy-") for name in smoke["wheels"])
    published = json.load(open(windows_artifact.published_manifest))
    assert published["armpy"]["validation"]["passed"]
    assert published["armpy"]["validation"]["checked"]["pe"] >= 30


def test_manifest_names_python_orgs_abi(windows_artifact):
    m = windows_artifact.manifest
    manifest.validate(m)
    assert windows_artifact.first_member == "python/PYTHON.json"
    assert m["python_platform_tag"] == "win-arm64"
    assert m["python_exe"] == "install/python.exe"
    assert m["python_paths"]["stdlib"] == "install/Lib"
    assert m["python_suffixes"]["extension"] == [".cp313-win_arm64.pyd", ".pyd"]
    assert m["crt_features"] == ["ucrt"]
    components = {c["name"] for c in m["armpy"]["components"]}
    assert {"cpython", "openssl", "sqlite", "xz", "libffi", "zlib", "bzip2", "mpdecimal",
            "msvc_runtime"} <= components
    assert "ncurses" not in components and "expat" not in components


def test_layout_is_python_orgs(tree):
    for rel in ("python.exe", "pythonw.exe", "python313.dll", "python3.dll",
                "vcruntime140.dll", "Scripts/pip.exe", "Lib/os.py", "Lib/site-packages/pip",
                "Lib/venv/scripts/nt/venvlauncher.exe", "include/Python.h", "include/pyconfig.h",
                "libs/python313.lib", "libs/python3.lib", "LICENSE.txt"):
        assert os.path.exists(os.path.join(tree, rel)), rel
    for module in windows.REQUIRED_EXTENSIONS:
        path = os.path.join(tree, "DLLs", f"{module}.cp313-win_arm64.pyd")
        builtin = not os.path.exists(path)
        if builtin:
            assert module in ("_winapi", "msvcrt", "nt", "winreg", "mmap", "zlib", "_json",
                              "array", "math"), module


def test_every_binary_is_arm64_pe(tree):
    # Except pip's launchers for x86 and x64 Windows, data it copies out on those only.
    foreign = rules.load(WINDOWS_TARGET)["pe"]["foreign_machine_data"]
    binaries = [p for p in windows.binary_files(tree)
                if not any(fnmatch.fnmatchcase(os.path.relpath(p, tree), f) for f in foreign)]
    assert len(binaries) >= 40
    for path in binaries:
        pe = pefile.PE(path, fast_load=True)
        assert pe.FILE_HEADER.Machine == 0xAA64, path


def test_python3_dll_forwards_the_stable_abi(tree):
    pe = pefile.PE(os.path.join(tree, "python3.dll"))
    forwards = {s.name.decode(): s.forwarder.decode()
                for s in pe.DIRECTORY_ENTRY_EXPORT.symbols if s.forwarder}
    assert len(forwards) > 800
    assert forwards["PyLong_FromLong"] == "python313.PyLong_FromLong"


def test_the_interpreter_says_what_python_orgs_says(tree):
    out = run_python(tree, "import sys, sysconfig, json; print(json.dumps([sys.winver, "
                           "sys.version, sysconfig.get_platform(), sys.platform, "
                           "sys.prefix]))")
    assert out.returncode == 0, out.stderr[-2000:]
    winver, version, platform_tag, platform_name, prefix = json.loads(out.stdout)
    assert winver == "3.13-arm64"
    assert "(ARM64)" in version and version.startswith("3.13.15")
    assert (platform_tag, platform_name) == ("win-arm64", "win32")
    # Started from a folder it was never built in: it found Lib/ beside itself.
    assert runner.host_paths(TARGET, prefix) == tree


def test_math_is_the_ucrts_as_in_msvcs_build(tree):
    """python313.dll calls the UCRT's math functions, as python.org's does, not the
    copies in zig's runtime: its log2 was 2.7 million ulps off for subnormal numbers."""
    pe = pefile.PE(os.path.join(tree, "python313.dll"))
    imported = {entry.dll.decode().lower(): {i.name.decode() for i in entry.imports if i.name}
                for entry in pe.DIRECTORY_ENTRY_IMPORT}
    assert {"log2", "log", "log10", "exp", "sin", "cos", "tan", "fmod"} <= \
        imported["api-ms-win-crt-math-l1-1-0.dll"]
    values = [1e-308, 5e-324, 2.2250738585072014e-308, 0.1, 3.0, 1e300]
    out = run_python(tree, f"import math; print([math.log2(x) for x in {values!r}])")
    assert out.returncode == 0, out.stderr[-2000:]
    for x, ours in zip(values, json.loads(out.stdout)):
        assert abs(ours - math.log2(x)) <= math.ulp(math.log2(x)), (x, ours, math.log2(x))


def test_sockets_with_a_timeout_wait_whatever_their_handle(tree):
    """A Windows socket is a handle, which select() takes whatever its value; with
    clang, CPython compared it with FD_SETSIZE (64), so connect() and accept() with
    a timeout raised BlockingIOError and "not a socket" once handles passed 64."""
    code = ("import socket\n"
            # Handles grow by 4: forty sockets put the next ones well above 64.
            "held = [socket.socket() for _ in range(40)]\n"
            "server = socket.create_server(('127.0.0.1', 0)); server.settimeout(60)\n"
            "client = socket.socket(); client.settimeout(60)\n"
            "client.connect(server.getsockname()); conn, _ = server.accept()\n"
            "client.sendall(b'armpy'); print(conn.recv(5).decode(), client.fileno() > 64)\n")
    # The handle was above 64: the path the fix is about was taken.
    assert printed_words(tree, code) == ["armpy", "True"]


def test_select_waits_for_sockets(tree):
    # select.select() once took every set for empty (WinError 10022, "invalid
    # argument"): asyncore, selectors' SelectSelector and test_ssl's echo server use it.
    code = ("import select, socket\n"
            "server = socket.create_server(('127.0.0.1', 0))\n"
            "client = socket.create_connection(server.getsockname()); conn, _ = server.accept()\n"
            "print(select.select([client], [], [], 0) == ([], [], []))\n"
            "conn.sendall(b'x'); print(select.select([client], [client], [], 10)[0] == [client])\n")
    assert printed_words(tree, code) == ["True", "True"]


def test_the_c_runtime_is_told_of_bad_arguments_as_in_msvcs_build(tree):
    # The UCRT reports a bad argument (a closed descriptor, an unknown strftime
    # directive) to its invalid-parameter handler, whose default ends the process on
    # Windows. CPython silences it around such calls, as MSVC's build does: the
    # process-wide handler this code installs is never reached, and the calls raise.
    code = ("import ctypes, os, time\n"
            "calls = []\n"
            "handler_type = ctypes.CFUNCTYPE(None, ctypes.c_wchar_p, ctypes.c_wchar_p,\n"
            "                                ctypes.c_wchar_p, ctypes.c_uint, ctypes.c_size_t)\n"
            "handler = handler_type(lambda *args: calls.append(args))\n"
            "ctypes.CDLL('ucrtbase')._set_invalid_parameter_handler(handler)\n"
            "for call in (lambda: os.close(9999), lambda: time.strftime('%Q'),\n"
            "             lambda: time.strftime('%Y', (10000, 1, 1, 0, 0, 0, 0, 1, -1))):\n"
            "    try:\n"
            "        call(); print('no error')\n"
            "    except (OSError, ValueError) as error:\n"
            "        print(type(error).__name__)\n"
            "print(len(calls))\n")
    assert printed_words(tree, code) == ["OSError", "ValueError", "ValueError", "0"]


def printed_words(tree, code):
    """What the archive's interpreter prints running `code` under Wine, word by word."""
    out = run_python(tree, code)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.split()


def version_strings(pe):
    return {k.decode(): v.decode() for info in pe.FileInfo[0] if info.Key == b"StringFileInfo"
            for table in info.StringTable for k, v in table.entries.items()}


def manifests(pe):
    [manifest_type] = [t for t in pe.DIRECTORY_ENTRY_RESOURCE.entries
                       if t.id == pefile.RESOURCE_TYPE["RT_MANIFEST"]]
    return [pe.get_data(lang.data.struct.OffsetToData, lang.data.struct.Size).decode()
            for entry in manifest_type.directory.entries for lang in entry.directory.entries]


def test_binaries_carry_pcbuilds_version_information_and_manifest(tree):
    """PC/*.rc as PCbuild compiles them: the version Windows' file properties and
    installers read, and the manifest that declares the Windows versions the program
    supports and its long-path awareness."""
    for rel, description in (("python.exe", "Python"), ("pythonw.exe", "Python"),
                             ("python313.dll", "Python Core"),
                             ("DLLs/_socket.cp313-win_arm64.pyd", "Python Core")):
        pe = pefile.PE(os.path.join(tree, rel))
        fixed = pe.VS_FIXEDFILEINFO[0]
        # 3.13.15 final: micro * 1000 + 15 * 10 (python.props' Field3Value).
        assert (fixed.FileVersionMS >> 16, fixed.FileVersionMS & 0xFFFF,
                fixed.FileVersionLS >> 16) == (3, 13, 15150), rel
        strings = version_strings(pe)
        assert strings["FileVersion"] == strings["ProductVersion"] == "3.13.15", rel
        assert strings["OriginalFilename"] == os.path.basename(rel), rel
        assert strings["FileDescription"] == description, rel
        assert strings["CompanyName"] == "Python Software Foundation", rel
        assert any("longPathAware" in text for text in manifests(pe)), rel
    icons = pefile.PE(os.path.join(tree, "python.exe")).DIRECTORY_ENTRY_RESOURCE.entries
    assert any(t.id == pefile.RESOURCE_TYPE["RT_GROUP_ICON"] for t in icons)


def test_sqlite_is_a_dll_beside_the_module_as_in_python_orgs(tree, windows_artifact):
    # CPython's tests (test_ctypes' test_load_dll_with_flags) and users who put a newer
    # SQLite in place rely on DLLs/sqlite3.dll, which _sqlite3.pyd imports.
    dll = os.path.join(tree, "DLLs", "sqlite3.dll")
    module = os.path.join(tree, "DLLs", "_sqlite3.cp313-win_arm64.pyd")
    imported = {e.dll.decode().lower() for e in pefile.PE(module).DIRECTORY_ENTRY_IMPORT}
    assert "sqlite3.dll" in imported
    pe = pefile.PE(dll)
    exports = {s.name.decode() for s in pe.DIRECTORY_ENTRY_EXPORT.symbols if s.name}
    assert {"sqlite3_open_v2", "sqlite3_prepare_v2", "sqlite3_libversion"} <= exports
    version = {c["name"]: c["version"] for c in windows_artifact.manifest["armpy"]["components"]}
    assert version_strings(pe)["FileVersion"] == f"{version['sqlite']}.0"


def test_probe_agrees_with_the_manifest(tree, windows_artifact):
    facts = introspect.probe(os.path.join(tree, "python.exe"), TARGET, [tree])
    assert manifest.disagreements(windows_artifact.manifest, facts) == {}


def test_regression_suite_runs_under_wine(windows_artifact, tmp_path):
    """The regression-suite runner, under Wine, on two test files of the quick tier.
    The whole tier takes longer than CI's hour leaves (its figures are in
    benchmarks/results/); these two prove the way there: the archive extracted
    under a path with a space, regrtest and its worker processes started under
    Wine, the results read back and checked against the Wine skip list."""
    result = subprocess.run(
        [sys.executable, "-m", "armpy.regrtest", windows_artifact.install_only, "--test",
         "test_struct", "--test", "test_zlib", "--output-dir", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, timeout=1200)
    assert result.returncode == 0, result.stderr
    with open(regrtest.summary_path(windows_artifact.install_only, "custom", str(tmp_path))) as f:
        summary = json.load(f)
    manifest.validate_regression_summary(summary)
    assert summary["runner"]["kind"] == "wine"
    assert summary["skip_list"] == "regrtest/skips/aarch64-pc-windows-msvc/3.13-wine.toml"
    assert summary["test_files"]["passed"] == summary["test_files"]["selected"] == 2
    assert summary["test_cases"]["run"] > 50 and summary["test_cases"]["failed"] == 0


# PyPI's free-threaded build of the same wheel: its extension imports python313t.dll.
FREE_THREADED_WHEEL = Upstream(
    "https://files.pythonhosted.org/packages/0e/72/e3cc540f351f316e9ed0f092757459afbc595824ca724cbc5a5d4263713f/"
    "markupsafe-3.0.3-cp313-cp313t-win_arm64.whl",
    sha256="ad2cf8aa28b8c020ab2fc8287b0f823d0a7d8630784c31e9ee5edea20f406287", size=13973)


def test_an_extension_for_another_abi_is_named_with_the_dll_it_lacks(tree, tmp_path):
    """pip refuses a wheel whose tags do not fit; an extension that arrives anyway (copied,
    or in a wrongly tagged wheel) fails with Windows' "DLL load failed". The smoke
    check's diagnosis then names the module's file and the DLL that is missing."""
    wheel, _provider = sources.fetch([FREE_THREADED_WHEEL], CACHE_DIR)
    site = tmp_path / "site"
    site.mkdir()
    with zipfile.ZipFile(wheel) as z:
        data = z.read("markupsafe/_speedups.cp313t-win_arm64.pyd")
    # Named as this interpreter's extensions are, so that it is found and loaded.
    (site / "_speedups.cp313-win_arm64.pyd").write_bytes(data)
    code = (f"import sys; sys.path[:0] = [{os.path.dirname(smoke.CHECKS_SCRIPT)!r}, {str(site)!r}]\n"
            "import smoke_checks\n"
            "try:\n    import _speedups\n"
            "except ImportError as error:\n"
            f"    print(error); print(smoke_checks.dll_load_failure(str(error), {str(site)!r}))\n")
    command = runner.command(TARGET, [os.path.join(tree, "python.exe"), "-I", "-c", code],
                             binds=[tree, str(tmp_path), os.path.dirname(smoke.CHECKS_SCRIPT)])
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    error, diagnosis = result.stdout.strip().splitlines()[-2:]
    assert "DLL load failed while importing _speedups" in error, result.stdout + result.stderr
    assert diagnosis == ("_speedups.cp313-win_arm64.pyd imports python313t.dll, which cannot "
                         "be loaded here"), diagnosis
