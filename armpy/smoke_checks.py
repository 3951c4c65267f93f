"""Checks run *inside* a freshly extracted interpreter (standard library only).

Usage: python smoke_checks.py EXPECTED_JSON
Prints one JSON object: {"passed": [...], "failed": {"check": "reason"}, "skipped": {...}}.
"""
import importlib
import json
import os
import sys
import traceback

CHECKS = []


def check(function):
    CHECKS.append(function)
    return function


@check
def extension_modules(expected):
    broken = []
    for name in expected["extensions"]:
        try:
            importlib.import_module(name)
        except Exception as error:  # any failure to import is a broken module
            broken.append(f"{name} ({error})")
    assert not broken, "cannot import: " + ", ".join(broken)


@check
def relocated_prefix(expected):
    # The interpreter is in bin/ below the prefix; on Windows, in the prefix itself.
    here = os.path.dirname(os.path.realpath(sys.executable))
    if os.name != "nt":
        here = os.path.dirname(here)
    assert os.path.realpath(sys.prefix) == here, f"sys.prefix {sys.prefix} is not {here}"
    import sysconfig
    assert sysconfig.get_paths()["stdlib"].startswith(sys.prefix)


@check
def openssl_version(expected):
    import ssl
    want = f"OpenSSL {expected['openssl']} "
    assert ssl.OPENSSL_VERSION.startswith(want), f"{ssl.OPENSSL_VERSION!r} is not {want!r}"
    import hashlib
    digest = hashlib.new("sha3_256", b"armpy").hexdigest()
    assert digest == expected["sha3_256_of_armpy"], digest


@check
def sqlite_query(expected):
    import sqlite3
    db = sqlite3.connect(":memory:")
    db.execute("create table t (x integer)")
    db.executemany("insert into t values (?)", [(i,) for i in range(10)])
    assert db.execute("select sum(x), sqrt(16) from t").fetchone() == (45, 4.0)
    assert sqlite3.sqlite_version == expected["sqlite"], sqlite3.sqlite_version


@check
def ctypes_libc_call(expected):
    import ctypes
    if os.name == "nt":
        kernel32 = ctypes.WinDLL("kernel32")
        assert kernel32.GetCurrentProcessId() == os.getpid()
        assert kernel32.lstrlenA(b"armpy") == 5
        return
    libc = ctypes.CDLL("libc.so.6")
    assert libc.abs(-42) == 42
    assert libc.strlen(b"armpy") == 5


@check
def compression_round_trips(expected):
    import bz2
    import lzma
    import zlib
    data = b"armpy " * 10000
    for module in (zlib, bz2, lzma):
        assert module.decompress(module.compress(data)) == data, module.__name__


@check
def zstd_round_trip(expected):
    try:
        from compression import zstd
    except ImportError:
        return "skipped: this CPython version has no zstd module (added in 3.14)"
    data = b"armpy " * 10000
    assert zstd.decompress(zstd.compress(data)) == data


@check
def decimal_arithmetic(expected):
    import decimal
    assert decimal.Decimal("1.1") + decimal.Decimal("2.2") == decimal.Decimal("3.3")
    assert decimal.__libmpdec_version__ == expected["mpdecimal"], decimal.__libmpdec_version__


@check
def uuid4(expected):
    import uuid
    import _uuid  # noqa: F401  (the libuuid-backed fast path)
    assert uuid.uuid4().version == 4


@check
def curses_and_readline(expected):
    if os.name == "nt":
        return "skipped: Windows builds have neither module (python.org's has neither)"
    import curses  # noqa: F401
    import readline
    assert "EditLine" in readline._READLINE_LIBRARY_VERSION or \
        getattr(readline, "backend", "") == "editline", readline._READLINE_LIBRARY_VERSION


def local_wheel(folder):
    """A one-module wheel, made here as a build backend would make it."""
    import base64
    import hashlib
    import zipfile
    files = {"armpy_smoke.py": b"ANSWER = 42\n",
             "armpy_smoke-1.0.dist-info/METADATA":
                 b"Metadata-Version: 2.1\nName: armpy-smoke\nVersion: 1.0\n",
             "armpy_smoke-1.0.dist-info/WHEEL":
                 b"Wheel-Version: 1.0\nGenerator: armpy\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = "".join(
        f"{name},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},"
        f"{len(data)}\n" for name, data in files.items()) + "armpy_smoke-1.0.dist-info/RECORD,,\n"
    path = os.path.join(folder, "armpy_smoke-1.0-py3-none-any.whl")
    with zipfile.ZipFile(path, "w") as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
        wheel.writestr("armpy_smoke-1.0.dist-info/RECORD", record)
    return path


@check
def venv_and_wheels(expected):
    """A virtual environment of this interpreter; pip installs a local wheel and the
    pinned wheels from PyPI (built by MSVC, on Windows) into it, and they work."""
    import subprocess
    import venv
    scratch = expected["scratch"]
    os.makedirs(scratch, exist_ok=True)
    env_dir = os.path.join(scratch, "env")
    venv.EnvBuilder(with_pip=False).create(env_dir)
    bindir = "Scripts" if os.name == "nt" else "bin"
    python = os.path.join(env_dir, bindir, "python.exe" if os.name == "nt" else "python")
    # The venv has no pip of its own: this interpreter's pip installs into it.
    wheels = [local_wheel(scratch)] + [w["path"] for w in expected["wheels"]]
    out = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check",
                          "--no-cache-dir", "--python", python, "install", "--no-index",
                          "--no-deps", *wheels], capture_output=True, text=True)
    assert out.returncode == 0, "pip: " + (out.stderr.strip().splitlines() or ["no output"])[-1]
    uses = [("import armpy_smoke; print(armpy_smoke.ANSWER)", "42")]
    uses += [(w["code"], w["prints"]) for w in expected["wheels"]]
    for code, prints in uses:
        out = subprocess.run([python, "-c", code], capture_output=True, text=True)
        if out.returncode != 0:
            error = (out.stderr.strip().splitlines() or [f"exit status {out.returncode}"])[-1]
            why = dll_load_failure(error, env_dir) if os.name == "nt" else ""
            raise AssertionError(f"{code}: {error}" + (f" ({why})" if why else ""))
        assert out.stdout.strip() == prints, f"{code}: printed {out.stdout.strip()!r}"


ARM64_MACHINE = 0xAA64


def pe_imports(path):
    """The machine and the names of the DLLs a PE file imports (read with the standard
    library: this runs in the interpreter under test)."""
    import struct
    with open(path, "rb") as f:
        data = f.read()
    header = struct.unpack_from("<I", data, 0x3C)[0]
    machine, sections = struct.unpack_from("<HH", data, header + 4)
    optional_size = struct.unpack_from("<H", data, header + 20)[0]
    optional = header + 24
    pe32_plus = struct.unpack_from("<H", data, optional)[0] == 0x20B
    import_rva = struct.unpack_from("<I", data, optional + (112 if pe32_plus else 96) + 8)[0]
    section_table = optional + optional_size

    def offset(rva):
        for n in range(sections):
            size, address, raw_size, raw = struct.unpack_from("<IIII", data,
                                                              section_table + 40 * n + 8)
            if address <= rva < address + max(size, raw_size):
                return rva - address + raw
        raise ValueError(f"{path}: address {rva:#x} is in no section")

    names = []
    descriptor = offset(import_rva) if import_rva else None
    while descriptor is not None:
        name_rva = struct.unpack_from("<I", data, descriptor + 12)[0]
        if not name_rva:
            break
        start = offset(name_rva)
        names.append(data[start:data.index(b"\0", start)].decode("ascii"))
        descriptor += 20
    return machine, names


def dll_load_failure(error, root):
    """What Windows' "DLL load failed while importing X" means for the extension X under
    `root`: a file for another machine, or the DLLs it imports that cannot be loaded."""
    import ctypes
    import re
    found = re.search(r"while importing (\w+)", error)
    if not found:
        return ""
    module = found.group(1)
    folders = [d for d, _dirs, _files in os.walk(root) if d.endswith(".libs")]
    for folder, _dirs, files in os.walk(root):
        for name in sorted(files):
            if not (name.startswith(module + ".") and name.endswith(".pyd")):
                continue
            machine, dlls = pe_imports(os.path.join(folder, name))
            if machine != ARM64_MACHINE:
                return f"{name} is for machine {machine:#x}, not ARM64 ({ARM64_MACHINE:#x})"
            added = [os.add_dll_directory(d) for d in [folder] + folders]
            try:
                missing = []
                for dll in dlls:
                    try:
                        ctypes.WinDLL(dll)
                    except OSError:
                        missing.append(dll)
            finally:
                for directory in added:
                    directory.close()
            if missing:
                return f"{name} imports {', '.join(missing)}, which cannot be loaded here"
            return f"{name}: every DLL it imports loads; the failure is in its initialisation"
    return ""


@check
def string_hash_is_siphash(expected):
    assert sys.hash_info.algorithm.startswith("siphash"), sys.hash_info.algorithm


@check
def threads_share_objects(expected):
    """Eight threads start together and append to one list, fill one dict and count
    under one lock, each also hashing on its own: nothing may be lost or torn. In a
    free-threaded build they run at once, so this exercises its per-object locks."""
    import hashlib
    import threading
    threads, rounds = 8, 3000
    items, table, count, digests = [], {}, [0], [None] * threads
    lock, start = threading.Lock(), threading.Barrier(threads)

    def work(index):
        start.wait()
        digest = hashlib.sha256()
        for n in range(rounds):
            items.append(n)
            table[index, n] = n
            with lock:
                count[0] += 1
            digest.update(n.to_bytes(4, "little"))
        digests[index] = digest.hexdigest()

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    total = threads * rounds
    assert (len(items), len(table), count[0]) == (total, total, total), \
        f"lost updates: list {len(items)}, dict {len(table)}, counter {count[0]} of {total}"
    assert sorted(items) == sorted(list(range(rounds)) * threads), "list items changed"
    assert len(set(digests)) == 1 and digests[0], digests


# Checked last: importing an extension module that does not declare itself safe
# without the GIL turns the GIL back on.
@check
def variant(expected):
    """The build's variant (PYTHON.json's ABI flags) is the interpreter's: a
    free-threaded one runs without the GIL after every import above; a debug one
    counts references."""
    abiflags = getattr(sys, "abiflags", "")
    assert abiflags == expected["abiflags"], f"sys.abiflags {abiflags!r}"
    gil = sys._is_gil_enabled()
    assert gil == ("t" not in abiflags), f"sys._is_gil_enabled() is {gil}"
    debug = hasattr(sys, "gettotalrefcount")
    assert debug == ("d" in abiflags), f"sys.gettotalrefcount {'exists' if debug else 'is missing'}"


def main():
    with open(sys.argv[1]) as f:
        expected = json.load(f)
    result = {"passed": [], "failed": {}, "skipped": {}}
    for function in CHECKS:
        try:
            note = function(expected)
        except Exception as error:
            result["failed"][function.__name__] = (
                f"{type(error).__name__}: {error}" if str(error)
                else traceback.format_exc(limit=1).strip().splitlines()[-1])
            continue
        if isinstance(note, str) and note.startswith("skipped"):
            result["skipped"][function.__name__] = note
        else:
            result["passed"].append(function.__name__)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
