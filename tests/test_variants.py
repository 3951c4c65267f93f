"""A build variant end to end: free-threaded by default (ARMPY_TEST_VARIANT picks
another), built, validated, smoke-tested, put through a regression tier (by
default the variant tier) and run here.

Its files carry the ABI flags (python3.13t, lib/python3.13t, .cpython-313t-….so),
its archives and manifest name the variant, and the interpreter is what the
variant promises: without the GIL, threads run at once; a debug one counts
references."""
import json
import os
import subprocess

import pytest
from elftools.elf.elffile import ELFFile

from armpy import archives, manifest, regrtest, sources, variants
from conftest import VARIANT_BUILD_OPTIONS, VARIANT_TIER, extension_source, run_python, target_cc
from test_release import release_and_install_with_uv

pytestmark = pytest.mark.build

ABIFLAGS = variants.abiflags_of(VARIANT_BUILD_OPTIONS)
VARIANT = variants.name_of(VARIANT_BUILD_OPTIONS)
LDVERSION = f"3.13{ABIFLAGS}"
STDLIB = variants.stdlib_name("3.13", ABIFLAGS)


@pytest.fixture
def variant_tree(variant_artifact, tmp_path):
    archives.extract(variant_artifact.install_only, str(tmp_path / "a place"))
    return tmp_path / "a place" / "python"


def test_archives_name_the_variant_and_are_released(variant_artifact):
    names = [os.path.basename(p) for p in (variant_artifact.full, variant_artifact.install_only,
                                           variant_artifact.install_only_stripped)]
    assert names[0].endswith(f"-{VARIANT_BUILD_OPTIONS}-full.tar.zst")
    assert names[1].endswith(f"-{VARIANT}-install_only.tar.gz")
    assert names[2].endswith(f"-{VARIANT}-install_only_stripped.tar.gz")
    listed = open(os.path.join(variant_artifact.dist, "SHA256SUMS")).read()
    for name in names:
        assert f"{sources.sha256_of(os.path.join(variant_artifact.dist, name))}  {name}" in listed
    for smoke_path in (variant_artifact.smoke, variant_artifact.smoke_stripped):
        smoke = json.load(open(smoke_path))
        assert smoke["failed"] == {}
        assert {"variant", "threads_share_objects", "extension_modules"} <= set(smoke["passed"])


def test_manifest_says_what_the_variant_is_from_the_build_tree(variant_artifact):
    m = variant_artifact.manifest
    manifest.validate(m)
    assert m["build_options"] == VARIANT_BUILD_OPTIONS
    assert m["optimizations"] == VARIANT_BUILD_OPTIONS.removeprefix("freethreaded+")
    assert m["python_abi_tag"] == ABIFLAGS
    assert m["python_exe"] == f"install/bin/python{LDVERSION}"
    found = m["armpy"]["optimizations"]
    assert (found["gil_disabled"], found["debug"]) == ("t" in ABIFLAGS, "d" in ABIFLAGS)
    config = m["python_config_vars"]
    assert config["ABIFLAGS"] == ABIFLAGS and config["LDVERSION"] == LDVERSION
    assert config["Py_GIL_DISABLED"] == str(int("t" in ABIFLAGS))
    assert config["EXT_SUFFIX"] == f".cpython-313{ABIFLAGS}-aarch64-linux-gnu.so"
    assert m["python_suffixes"]["extension"][0] == config["EXT_SUFFIX"]
    assert ("--disable-gil" in m["armpy"]["configure_args"]) == ("t" in ABIFLAGS)
    assert ("--with-pydebug" in m["armpy"]["configure_args"]) == ("d" in ABIFLAGS)


def test_install_tree_carries_the_abi_flags(variant_tree):
    bindir = variant_tree / "bin"
    assert (bindir / f"python{LDVERSION}").is_file()
    assert not (bindir / f"python{LDVERSION}").is_symlink()
    # The plain names lead to it, so `python3` and `python3.13` start this interpreter.
    assert os.readlink(bindir / "python3.13") == f"python{LDVERSION}"
    assert os.path.realpath(bindir / "python3") == str(bindir / f"python{LDVERSION}")
    assert (variant_tree / "lib" / STDLIB / "os.py").is_file()
    assert [p.name for p in (variant_tree / "lib").glob("python3.*")] == [STDLIB]
    assert (variant_tree / "lib" / f"libpython{LDVERSION}.so.1.0").is_file()
    assert (variant_tree / "include" / f"python{LDVERSION}" / "pyconfig.h").is_file()
    dynload = list((variant_tree / "lib" / STDLIB / "lib-dynload").iterdir())
    assert len(dynload) > 40
    assert [p.name for p in dynload if not p.name.endswith(f".cpython-313{ABIFLAGS}-aarch64-linux-gnu.so")] == []
    with open(bindir / f"python{LDVERSION}", "rb") as f:
        needed = [t.needed for t in ELFFile(f).get_section_by_name(".dynamic").iter_tags()
                  if t.entry.d_tag == "DT_NEEDED"]
    assert not [n for n in needed if n.startswith("libpython")]
    pip = run_python(bindir / "pip3", "--version")
    assert pip.returncode == 0, pip.stderr
    assert str(variant_tree / "lib" / STDLIB / "site-packages" / "pip") in pip.stdout


# Each thread runs the same pure-Python loop; with the GIL two threads take about
# twice as long as one, without it (on a host with two cores) about as long.
PARALLEL_PROBE = r"""
import json, sys, threading, time, ssl, sqlite3, decimal, ctypes
def spin():
    total = 0
    for i in range(1_500_000):
        total += i % 7
def timed(threads):
    workers = [threading.Thread(target=spin) for _ in range(threads)]
    start = time.perf_counter()
    for w in workers: w.start()
    for w in workers: w.join()
    return time.perf_counter() - start
timed(1)
print(json.dumps({"gil": sys._is_gil_enabled(), "one": min(timed(1) for _ in range(2)),
                  "two": min(timed(2) for _ in range(2))}))
"""


@pytest.mark.skipif("t" not in ABIFLAGS, reason="the variant keeps the GIL")
def test_without_the_gil_two_threads_run_at_once(variant_tree):
    if len(os.sched_getaffinity(0)) < 2:
        pytest.fail("needs two cores to show threads running at once")
    out = run_python(variant_tree / "bin" / "python3", "-c", PARALLEL_PROBE)
    assert out.returncode == 0, out.stderr
    timing = json.loads(out.stdout)
    assert timing["gil"] is False
    # 2.0 would be one thread at a time; 1.0 both at once.
    assert timing["two"] / timing["one"] < 1.5, timing


@pytest.mark.skipif("t" not in ABIFLAGS, reason="the variant keeps the GIL")
def test_extensions_built_against_its_headers_keep_or_restore_the_gil(variant_tree,
                                                                     variant_artifact, tmp_path):
    """Its headers declare the free-threaded ABI (object layout, reference counts):
    a module that says it is safe without the GIL leaves it off, one that does not
    turns it on with a warning, as CPython's free-threaded build does."""
    m = variant_artifact.manifest
    cc = target_cc(m["armpy"]["toolchain"])
    suffix = m["python_config_vars"]["EXT_SUFFIX"]
    for name, safe in (("safe_ext", True), ("gil_ext", False)):
        source = tmp_path / f"{name}.c"
        source.write_text(extension_source(name, gil_not_used=safe))
        compiled = subprocess.run(cc + ["-shared", "-fPIC", "-O2",
                                        f"-I{variant_tree}/include/python{LDVERSION}", str(source),
                                        "-o", str(tmp_path / f"{name}{suffix}")],
                                  capture_output=True, text=True)
        assert compiled.returncode == 0, compiled.stderr
    code = (f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import safe_ext; "
            "print(safe_ext.add(40, 2), sys._is_gil_enabled()); import gil_ext; "
            "print(gil_ext.add(1, 1), sys._is_gil_enabled())")
    out = run_python(variant_tree / "bin" / "python3", "-c", code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["42", "False", "2", "True"], out.stdout + out.stderr
    assert "has been enabled to load module 'gil_ext'" in out.stderr


def test_regression_tier_ran_with_the_variants_own_tests(variant_artifact):
    with open(variant_artifact.regrtest_summary) as f:
        summary = json.load(f)
    manifest.validate_regression_summary(summary)
    assert summary["tier"] == VARIANT_TIER
    assert summary["passed"] and summary["unexpected_failures"] == []
    assert summary["test_files"]["selected"] == len(regrtest.load_tier(VARIANT_TIER)["tests"])
    assert summary["test_cases"]["run"] > 1000
    outcome = summary["outcomes"]["test_free_threading"]["outcome"]
    assert outcome == ("passed" if "t" in ABIFLAGS else "skipped"), summary["outcomes"]
    assert os.path.basename(summary["skip_list"]) in (f"{LDVERSION}-emulated.toml",
                                                      "3.13-emulated.toml")


def test_uv_installs_the_variant_from_the_release_index(variant_artifact, tmp_path):
    _stdout, key, entry, gil = release_and_install_with_uv(variant_artifact, tmp_path)
    assert key == f"cpython-3.13.15+{VARIANT}-linux-aarch64-gnu"
    assert entry["variant"] == VARIANT
    assert entry["url"].endswith(f"-{VARIANT}-install_only.tar.gz")
    assert entry["sha256"] == sources.sha256_of(variant_artifact.install_only)
    assert gil == ("t" not in ABIFLAGS)
