"""End to end: real sources -> real builds -> archives -> run under qemu/natively.

These share build/ and .cache/ with `./run build`, so after one build they
only repeat what changed. Each toolchain's artifacts go to their own dist dir.
"""
import base64
import hashlib
import json
import os
import shlex
import subprocess
import sys
import tarfile
import zipfile

import pytest
from elftools.elf.elffile import ELFFile

from armpy import archives, manifest, sources
from armpy.errors import ArmpyError
from conftest import BUILDS, ROOT, extension_source, run_python, target_cc, zstd_reader

pytestmark = pytest.mark.build

BUILD_PATH_MARKERS = [os.path.join(ROOT, "build"), os.path.join(ROOT, ".cache"), ROOT,
                      "/usr/lib/gcc-cross", "/usr/bin/aarch64-linux-gnu-"]


def test_published_files_and_checksums(artifact):
    assert os.path.exists(artifact.full) and os.path.exists(artifact.install_only)
    sums = open(os.path.join(artifact.dist, "SHA256SUMS")).read().splitlines()
    listed = dict(reversed(line.split("  ")) for line in sums)
    for path in (artifact.full, artifact.install_only):
        assert listed[os.path.basename(path)] == sources.sha256_of(path)
    smoke = json.load(open(artifact.smoke))
    assert smoke["failed"] == {} and "openssl_version" in smoke["passed"]
    assert smoke["extensions_imported"] >= 60
    assert not [n for n in os.listdir(artifact.dist) if n.endswith(".tmp")]


def test_every_archive_has_an_spdx_sbom_a_maintained_tool_accepts(artifact):
    """Beside each archive, <archive>.spdx.json: the archive file and its sha256, CPython
    and every component with the exact source file and its patches, what CPython vendors;
    the full archive carries the tree's own as python/sbom.spdx.json."""
    components = {c["name"]: c for c in artifact.manifest["armpy"]["components"]}
    sums = open(os.path.join(artifact.dist, "SHA256SUMS")).read()
    for path in (artifact.full, artifact.install_only, artifact.install_only_stripped):
        sbom_path = path + ".spdx.json"
        checked = subprocess.run([os.path.join(os.path.dirname(sys.executable), "pyspdxtools"),
                                  "-i", sbom_path], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert f"{sources.sha256_of(sbom_path)}  {os.path.basename(sbom_path)}" in sums
        doc = json.load(open(sbom_path))
        packages = {p["SPDXID"]: p for p in doc["packages"]}
        described = packages["SPDXRef-ARCHIVE"]
        assert described["checksums"] == [{"algorithm": "SHA256",
                                           "checksumValue": sources.sha256_of(path)}]
        by_name = {p["name"]: p for p in doc["packages"]}
        for name, component in components.items():
            assert by_name[name]["versionInfo"] == component["version"]
            assert by_name[name]["checksums"][0]["checksumValue"] == component["source"]["sha256"]
            assert by_name[name]["licenseConcluded"] == component["license"]
        # CPython's vendored code it builds with (HACL*), not the copies armpy replaces.
        assert "hacl-star" in by_name and "pip" in by_name
        assert [p["name"] for p in doc["packages"]].count("expat") == 1
        patched = {r["spdxElementId"] for r in doc["relationships"]
                   if r["relationshipType"] == "PATCH_APPLIED"}
        patches = [p for c in components.values() for p in c["source"]["patches"]]
        assert len(patched) == len(patches) > 0
    with tarfile.open(fileobj=zstd_reader(artifact.full), mode="r|") as tar:
        inside = next(json.load(tar.extractfile(m)) for m in tar
                      if m.name == "python/sbom.spdx.json")
    assert "SPDXRef-ARCHIVE" not in {p["SPDXID"] for p in inside["packages"]}
    assert {p["name"] for p in inside["packages"]} >= set(components)


def test_full_archive_layout_and_manifest(artifact):
    assert artifact.first_member == "python/PYTHON.json"
    manifest.validate(artifact.manifest)
    m = artifact.manifest
    assert m["target_triple"] == "aarch64-unknown-linux-gnu"
    assert m["build_options"] == BUILDS[artifact.toolchain]
    assert m["python_platform_tag"] == "linux-aarch64" and m["python_tag"] == "cp313"
    assert m["armpy"]["toolchain"]["name"] == artifact.toolchain
    components = {c["name"]: c for c in m["armpy"]["components"]}
    assert set(components) >= {"cpython", "openssl", "sqlite", "zlib", "libedit", "zstd"}
    assert all(len(c["source"]["sha256"]) == 64 for c in components.values())
    assert not [a for a in m["armpy"]["configure_args"] if ROOT in a]
    with tarfile.open(fileobj=zstd_reader(artifact.full), mode="r|") as tar:
        members = [(t.name, t.mtime, t.uid, t.gid) for t in tar]
    names = [n for n, *_ in members]
    assert names[1:] == sorted(names[1:])
    assert {(mt, u, g) for _, mt, u, g in members} == {(archives.FIXED_MTIME, 0, 0)}
    assert "python/" + m["python_exe"] in names
    for name in components:
        assert f"python/licenses/LICENSE.{name}.txt" in names


@pytest.mark.parametrize("breakage", ["drop python_tag", "bad build_options", "bad sha256",
                                      "absolute python_exe", "unknown field"])
def test_manifest_schema_rejects_broken_copies(artifact, breakage):
    broken = json.loads(json.dumps(artifact.manifest))
    if breakage == "drop python_tag":
        del broken["python_tag"]
    elif breakage == "bad build_options":
        broken["build_options"] = "turbo"
    elif breakage == "bad sha256":
        broken["armpy"]["components"][0]["source"]["sha256"] = "not-a-hash"
    elif breakage == "absolute python_exe":
        broken["python_exe"] = "/usr/bin/python3"
    else:
        broken["surprise"] = True
    with pytest.raises(ArmpyError, match="PYTHON.json violates its schema"):
        manifest.validate(broken)


def test_runs_relocated_without_environment(extracted, artifact):
    probe = ("import json, sys, sysconfig; print(json.dumps([sys.prefix, "
             "sysconfig.get_config_var('LIBDIR'), sysconfig.get_paths()['include'], "
             "sysconfig.get_config_var('INCLUDEPY'), sys.hash_info.algorithm]))")
    result = run_python(extracted / "bin" / "python3", "-c", probe)
    assert result.returncode == 0, result.stderr
    prefix, libdir, include, includepy, hash_algorithm = json.loads(result.stdout)
    assert prefix == str(extracted)
    assert libdir == str(extracted / "lib") and os.path.isdir(libdir)
    assert include == includepy == str(extracted / "include" / "python3.13")
    assert hash_algorithm == "siphash13"


def test_no_build_machine_paths_in_install_tree(extracted):
    offenders = []
    for dirpath, _dirs, files in os.walk(extracted):
        for name in files:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                continue
            data = open(path, "rb").read()
            if b"\0" in data[:8192]:
                continue
            offenders += [(path, m) for m in BUILD_PATH_MARKERS if m.encode() in data]
    assert offenders == []
    for script in ("pip3", "pydoc3.13", "idle3.13"):
        head = open(extracted / "bin" / script, "rb").readline()
        assert head == b"#!/bin/sh\n", (script, head)
    config = subprocess.run(["sh", str(extracted / "bin" / "python3.13-config"), "--cflags",
                             "--ldflags"], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert config.returncode == 0, config.stderr
    assert str(extracted / "include" / "python3.13") in config.stdout
    assert not [m for m in BUILD_PATH_MARKERS if m in config.stdout]
    pkgconfig = subprocess.run(["pkg-config", "--cflags", "--libs", "python3-embed"],
                               capture_output=True, text=True,
                               env={"PATH": "/usr/bin:/bin",
                                    "PKG_CONFIG_LIBDIR": str(extracted / "lib" / "pkgconfig")})
    assert pkgconfig.returncode == 0, pkgconfig.stderr
    # pkg-config escapes spaces and leaves "lib/pkgconfig/../.." as is: read it as a shell would.
    flags = shlex.split(pkgconfig.stdout)
    includes = [os.path.normpath(f[2:]) for f in flags if f.startswith("-I")]
    libdirs = [os.path.normpath(f[2:]) for f in flags if f.startswith("-L")]
    assert includes == [str(extracted / "include" / "python3.13")]
    assert libdirs == [str(extracted / "lib")] and "-lpython3.13" in flags


def test_pip_script_and_venv_and_local_wheel_from_moved_copy(extracted, tmp_path):
    pip = run_python(extracted / "bin" / "pip3", "--version")
    assert pip.returncode == 0 and str(extracted) in pip.stdout, pip.stderr
    venv = tmp_path / "a venv"
    made = run_python(extracted / "bin" / "python3", "-m", "venv", str(venv))
    assert made.returncode == 0, made.stderr
    wheel = tmp_path / "armpy_probe-1.0-py3-none-any.whl"
    write_wheel(wheel, "armpy_probe", "1.0", "ANSWER = 42\n")
    installed = run_python(venv / "bin" / "python", "-m", "pip", "install", "--no-index",
                           str(wheel), timeout=900)
    assert installed.returncode == 0, installed.stderr
    answer = run_python(venv / "bin" / "python", "-c",
                        "import armpy_probe, sys; print(armpy_probe.ANSWER, sys.prefix != sys.base_prefix)")
    assert answer.stdout.split() == ["42", "True"], answer.stderr


def test_interpreter_copies_run_without_lib_beside_them(extracted, tmp_path):
    """`venv --copies` copies bin/python3.X alone; it must not need lib/libpython."""
    with open(extracted / "bin" / "python3.13", "rb") as f:
        assert not [n for n in ELFFile(f).get_section_by_name(".dynamic").iter_tags()
                    if n.entry.d_tag == "DT_NEEDED" and n.needed.startswith("libpython")]
    assert (extracted / "lib" / "libpython3.13.so.1.0").exists()   # kept for embedding
    venv = tmp_path / "copied venv"
    made = run_python(extracted / "bin" / "python3", "-m", "venv", "--copies", "--without-pip",
                      str(venv))
    assert made.returncode == 0, made.stderr
    assert not (venv / "bin" / "python").is_symlink()
    answer = run_python(venv / "bin" / "python", "-c",
                        "import sys, ssl, sqlite3; print(sys.prefix != sys.base_prefix)")
    assert answer.stdout.strip() == "True", answer.stderr


def write_wheel(path, name, version, code):
    dist_info = f"{name}-{version}.dist-info"
    files = {f"{name}.py": code,
             f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
             f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: armpy-tests\n"
                                   "Root-Is-Purelib: true\nTag: py3-none-any\n"}
    record = []
    for arcname, text in files.items():
        digest = hashlib.sha256(text.encode()).digest()
        encoded = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        record.append(f"{arcname},sha256={encoded},{len(text.encode())}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = "\n".join(record) + "\n"
    with zipfile.ZipFile(path, "w") as wheel:
        for arcname, text in files.items():
            wheel.writestr(arcname, text)




def test_extension_linking_libpython_loads(extracted, artifact, tmp_path):
    m = artifact.manifest
    source = tmp_path / "probe.c"
    source.write_text(extension_source("probe"))
    suffix = m["python_config_vars"]["EXT_SUFFIX"]
    target = tmp_path / f"probe{suffix}"
    cc = target_cc(m["armpy"]["toolchain"])
    compiled = subprocess.run(cc + ["-shared", "-fPIC", "-O2", f"-I{extracted}/include/python3.13",
                                    str(source), f"-L{extracted}/lib", "-lpython3.13",
                                    "-o", str(target)], capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stderr
    with open(target, "rb") as f:
        needed = [t.needed for t in ELFFile(f).get_section_by_name(".dynamic").iter_tags()
                  if t.entry.d_tag == "DT_NEEDED"]
    assert "libpython3.13.so.1.0" in needed
    result = run_python(extracted / "bin" / "python3", "-c",
                        f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import probe; "
                        "print(probe.add(40, 2))")
    assert result.stdout.strip() == "42", result.stderr
