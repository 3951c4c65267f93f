"""./run release: a release file checked before anything builds, its builds published
with one downloads index and SHA256SUMS, and a real uv installing from that index."""
import contextlib
import dataclasses
import functools
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import (BUILD_DIR_ARGS, DARWIN_BUILD_OPTIONS, DARWIN_TARGET, PGO_TASK, ROOT,
                      WINDOWS_TARGET, interruptible)
from armpy import options, package, release, variants
from armpy.sources import sha256_of
from armpy.targets import TARGETS

UV = os.path.join(os.path.dirname(sys.executable), "uv")


def run_release(*args, timeout=3 * 3600):
    return subprocess.run([sys.executable, "-m", "armpy.release", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def release_file(tmp_path, text):
    path = tmp_path / "release.toml"
    path.write_text('url_prefix = "http://127.0.0.1:1/"\n'
                    f'dist_dir = "{tmp_path / "dist"}"\n' + text)
    return str(path)


BAD_RELEASES = {
    "unknown target": ('[[build]]\ntarget = "riscv64-unknown-linux-gnu"\n',
                       "build 1: unknown target 'riscv64-unknown-linux-gnu' (valid: "),
    "repeated variant": ('[[build]]\nbuild_options = "freethreaded+freethreaded"\n',
                         "grammar: [freethreaded+]"),
    "debug with pgo": ('[[build]]\nbuild_options = "debug+pgo"\n', "grammar: [freethreaded+]"),
    "variant the target does not build": (
        '[[build]]\ntarget = "aarch64-pc-windows-msvc"\nbuild_options = "freethreaded+noopt"\n',
        "aarch64-pc-windows-msvc builds no freethreaded variant yet"),
    "unknown option": ('[[build]]\noptimise = "yes"\n', "unknown option 'optimise'"),
    "per-build dist_dir": ('[[build]]\ndist_dir = "elsewhere"\n',
                           "'dist_dir' is set for the whole release"),
    "same build twice": ('[[build]]\ntarget = "aarch64-apple-darwin"\n' * 2,
                         "builds 1 and 2 both publish"),
    "no builds": ("", "at least one [[build]] table"),
    "unknown key": ('urls = "x"\n[[build]]\n', "unknown key 'urls'"),
    "not TOML": ("[[build]\n", "release file"),
    # Known only to the toolchain: asked of SCons without building.
    "lto the toolchain cannot link": (
        '[[build]]\ntarget = "aarch64-apple-darwin"\nbuild_options = "lto"\n',
        "zig's Mach-O linker cannot link LTO objects"),
}


@pytest.mark.parametrize("case", sorted(BAD_RELEASES))
def test_a_bad_release_file_is_refused_in_one_line_before_anything_builds(case, tmp_path):
    text, expected = BAD_RELEASES[case]
    result = run_release(f"config={release_file(tmp_path, text)}", timeout=300)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("armpy: error: release file "), lines
    assert expected in lines[0]
    assert not (tmp_path / "dist").exists()


def test_a_good_release_file_passes_every_check_and_nothing_is_written(tmp_path):
    path = release_file(tmp_path, f'build_dir = "{tmp_path / "build"}"\n'
                        '[[build]]\ntarget = "aarch64-apple-darwin"\n'
                        '[[build]]\ntarget = "aarch64-pc-windows-msvc"\n')
    checked = release.read(path)
    release.check_toolchains(checked)
    assert [b.opts.target.triple for b in checked.builds] == ["aarch64-apple-darwin",
                                                               "aarch64-pc-windows-msvc"]
    assert os.listdir(tmp_path) == ["release.toml"]


def test_the_release_file_shipped_checks_out():
    """configs/release.toml: every target, the variants, and no two builds' files alike."""
    checked = release.read(os.path.join(ROOT, "configs", "release.toml"))
    builds = [(b.opts.target.triple, b.opts.build_options) for b in checked.builds]
    assert ("aarch64-unknown-linux-gnu", "freethreaded+pgo+lto") in builds
    assert ("aarch64-unknown-linux-gnu", "debug") in builds
    assert {triple for triple, _ in builds} == set(TARGETS)


def test_a_release_needs_its_file_and_a_download_url(tmp_path):
    assert "usage: ./run release config=" in run_release(timeout=60).stderr
    missing = run_release(f"config={tmp_path / 'none.toml'}", timeout=60)
    assert missing.returncode == 2 and "No such file or directory" in missing.stderr
    path = tmp_path / "release.toml"
    path.write_text('url_prefix = "dist/"\n[[build]]\n')
    refused = run_release(f"config={path}", timeout=60)
    assert refused.returncode == 2 and "url_prefix must be the URL" in refused.stderr


def test_index_entries_name_variants_and_versions_as_uv_reads_them(tmp_path):
    assert variants.name_of("pgo+lto") is None
    assert variants.name_of("freethreaded+pgo+lto") == "freethreaded"
    assert variants.name_of("debug") == "debug"
    assert variants.name_of("freethreaded+debug") == "freethreaded+debug"
    opts = dataclasses.replace(options.resolve({"dist_dir": str(tmp_path)}), python="3.14.0rc2",
                               build_options="pgo+lto", build_tag="20261207")
    archive = tmp_path / package.artifact_names(opts)["install_only"]
    archive.write_bytes(b"the archive's bytes")
    key, entry = release.index_entry(release.Build(1, {}, opts), "https://example.org/r/")
    assert key == "cpython-3.14.0rc2-linux-aarch64-gnu"
    assert entry == {
        "name": "cpython", "arch": {"family": "aarch64", "variant": None}, "os": "linux",
        "libc": "gnu", "major": 3, "minor": 14, "patch": 0, "prerelease": "rc2",
        "url": "https://example.org/r/cpython-3.14.0rc2%2B20261207-aarch64-unknown-linux-gnu"
               "-install_only.tar.gz",
        "sha256": sha256_of(str(archive)), "variant": None, "build": "20261207"}


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def file_server(directory):
    """`directory` served on the loopback address, as a web server would serve it."""
    handler = functools.partial(QuietHandler, directory=directory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


def suite_build_dir():
    """The release file's build_dir line for the suite's build tree, so that a release
    of the suite's builds finds their steps done."""
    build_dir = [a.split("=", 1)[1] for a in BUILD_DIR_ARGS]
    return f'build_dir = "{build_dir[0]}"\n' if build_dir else ""


def release_and_install_with_uv(art, tmp_path):
    """A suite's build as a one-build release (its steps are done, so the release
    publishes at once), served on the loopback address; uv from PyPI installs it from
    the index and makes a venv with it, whose python runs. Returns the release's
    stdout, the index's key and entry, and whether the GIL was on in the venv."""
    with file_server(art.dist) as url:
        config = tmp_path / "release.toml"
        config.write_text(
            f'url_prefix = "{url}"\ndist_dir = "{art.dist}"\nbuild_tag = "dev"\n'
            + suite_build_dir() + f'[[build]]\ntoolchain = "{art.toolchain}"\n'
            f'build_options = "{art.opts.build_options}"\npgo_task = "{PGO_TASK}"\n'
            f'regrtest = "{art.opts.regrtest}"\n')
        result = run_release(f"config={config}")
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        with open(os.path.join(art.dist, release.INDEX)) as f:
            index = json.load(f)
        assert len(index) == 1
        (key, entry), = index.items()
        names = package.artifact_names(art.opts)
        assert entry["url"] == url + names["install_only"].replace("+", "%2B")
        # SHA256SUMS names exactly the release's files, each with its digest.
        sums = package.read_sha256sums(art.dist)
        assert sorted(sums) == sorted([release.INDEX] + [names[k] for k in package.SUMMED])
        for name, digest in sums.items():
            assert sha256_of(os.path.join(art.dist, name)) == digest

        env = dict(os.environ, UV_PYTHON_INSTALL_DIR=str(tmp_path / "pythons"),
                   UV_CACHE_DIR=str(tmp_path / "uv-cache"), UV_NO_CONFIG="1")
        started = time.monotonic()
        installed = subprocess.run(
            [UV, "python", "install", "--no-bin", "--python-downloads-json-url",
             url + release.INDEX, key], env=env, capture_output=True, text=True, timeout=600)
        seconds = time.monotonic() - started
    assert installed.returncode == 0, installed.stderr
    print(f"uv python install {key} from the index: {seconds:.1f} s")
    python = tmp_path / "pythons" / key / art.manifest["python_exe"].removeprefix("install/")
    venv = tmp_path / "venv"
    made = subprocess.run([UV, "venv", "--no-python-downloads", "--python", str(python),
                           str(venv)], env=env, capture_output=True, text=True, timeout=600)
    assert made.returncode == 0, made.stderr
    code = ("import sys, ssl, sqlite3, platform; print(sys.prefix, sys.base_prefix, "
            "platform.python_version(), platform.machine(), sys._is_gil_enabled(), "
            "ssl.OPENSSL_VERSION)")
    ran = subprocess.run([str(venv / "bin" / "python"), "-c", code], env={},
                         capture_output=True, text=True, timeout=600)
    assert ran.returncode == 0, ran.stderr
    prefix, base_prefix, version, machine, gil, openssl = ran.stdout.split(" ", 5)
    # uv points the venv at its link for the minor version, which names the install.
    assert prefix == str(venv)
    assert os.path.realpath(base_prefix) == str(python.parent.parent)
    assert version == "3.13.15" and machine == "aarch64" and openssl.startswith("OpenSSL 3.")
    return result.stdout, key, entry, gil == "True"


def test_release_publishes_an_index_uv_installs_from(artifact, tmp_path):
    stdout, key, entry, gil = release_and_install_with_uv(artifact, tmp_path)
    # The summary: every archive with its size and the results of its checks.
    names = package.artifact_names(artifact.opts)
    table = stdout[stdout.index("archive "):]
    for kind in package.ARCHIVES:
        assert names[kind] in table
    assert "passed (" in table and "quick: " in table
    assert key == "cpython-3.13.15-linux-aarch64-gnu" and entry["variant"] is None
    assert entry["sha256"] == sha256_of(artifact.install_only)
    assert (entry["major"], entry["minor"], entry["patch"], entry["build"]) == (3, 13, 15, "dev")
    assert gil


def assert_sums_name_only_whole_files(dist):
    """Every SHA256SUMS line names a file that is there, with those bytes."""
    with open(dist / package.SHA256SUMS) as f:
        lines = [line.rstrip("\n").split("  ", 1) for line in f]
    for digest, name in lines:
        assert (dist / name).is_file(), name
        assert sha256_of(str(dist / name)) == digest, name
    assert not [p.name for p in dist.iterdir() if p.name.endswith(".tmp")]
    return [name for _, name in lines]


def test_an_interrupted_release_names_no_missing_file_and_a_rerun_completes(
        darwin_artifact, windows_artifact, tmp_path):
    """A published release grows by a build, is interrupted (Ctrl-C) in that build,
    then run again. The two builds were made by the suite, so the release only
    publishes their files."""
    head = ('url_prefix = "https://example.org/armpy/"\n'
            f'dist_dir = "{tmp_path / "dist"}"\n'
            + suite_build_dir() + f'[[build]]\ntarget = "{DARWIN_TARGET}"\nbuild_options = "{DARWIN_BUILD_OPTIONS}"\n')
    first, grown = tmp_path / "first.toml", tmp_path / "grown.toml"
    first.write_text(head)
    grown.write_text(head + f'[[build]]\ntarget = "{WINDOWS_TARGET}"\nregrtest = "none"\n')
    dist = tmp_path / "dist"
    done = run_release(f"config={first}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert release.INDEX in assert_sums_name_only_whole_files(dist)
    darwin_files = {p.name: p.stat().st_mtime_ns for p in dist.iterdir()
                    if p.name.startswith("cpython-")}

    # Ctrl-C, as a terminal sends it to the whole process group, once build 2 starts.
    process = subprocess.Popen([sys.executable, "-m", "armpy.release", f"config={grown}"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True, preexec_fn=interruptible,
                               env=dict(os.environ, PYTHONUNBUFFERED="1"))
    seen = []
    for line in process.stdout:
        seen.append(line)
        if "release: build 2 of 2" in line:
            os.killpg(process.pid, signal.SIGINT)
            break
    seen += process.communicate(timeout=600)[0].splitlines(keepends=True)
    assert process.returncode == 130, "".join(seen)
    assert f"armpy: release interrupted; run './run release config={grown}' again" in "".join(seen)
    assert not (dist / release.INDEX).exists()
    named = assert_sums_name_only_whole_files(dist)
    assert release.INDEX not in named and not [n for n in named if WINDOWS_TARGET in n]

    resumed = run_release(f"config={grown}")
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
    with open(dist / release.INDEX) as f:
        index = json.load(f)
    assert sorted(index) == ["cpython-3.13.15-darwin-aarch64-none",
                             "cpython-3.13.15-windows-aarch64-none"]
    checked = release.read(str(grown))
    expected = [release.INDEX] + [package.artifact_names(b.opts)[k] for b in checked.builds
                                  for k in package.SUMMED]
    assert sorted(assert_sums_name_only_whole_files(dist)) == sorted(expected)
    # The first build's files were kept as they were, not made again.
    assert {name: (dist / name).stat().st_mtime_ns for name in darwin_files} == darwin_files
