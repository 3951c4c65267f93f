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
    here = os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))
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
    import curses  # noqa: F401
    import readline
    assert "EditLine" in readline._READLINE_LIBRARY_VERSION or \
        getattr(readline, "backend", "") == "editline", readline._READLINE_LIBRARY_VERSION


@check
def string_hash_is_siphash(expected):
    assert sys.hash_info.algorithm.startswith("siphash"), sys.hash_info.algorithm


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
