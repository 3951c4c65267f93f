"""aarch64-apple-darwin, cross-built here with zig and checked without a Mac.

Nothing of the build runs on this machine: these tests read the Mach-O files,
their signatures, the manifest and the sysconfig data a Mac user's tools read.
What only a Mac can prove (that it starts, loads every module, passes the
regression suite) is listed in the README.
"""
import glob
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from macholib import mach_o
from macholib.MachO import MachO

from armpy import archives, manifest, package, relocate
from armpy.platforms import darwin
from armpy.validate import codesign
from conftest import (BUILD_DIR_ARGS, DARWIN_BUILD_OPTIONS, DARWIN_TARGET, ROOT, extension_source, scons,
                      target_cc)

pytestmark = pytest.mark.build

SYSTEM_DYLIB_PREFIXES = ("/usr/lib/libSystem.B.dylib", "/System/Library/Frameworks/")


@pytest.fixture(scope="module")
def tree(darwin_artifact, tmp_path_factory):
    """The install_only archive, extracted."""
    where = tmp_path_factory.mktemp("darwin tree")
    archives.extract(darwin_artifact.install_only, str(where))
    return os.path.join(str(where), "python")


def macho_files(root):
    return sorted(darwin.binary_files(root))


def load_commands(path):
    (header,) = MachO(path).headers      # thin arm64 files only
    return header, header.commands


def test_published_files_say_the_tests_did_not_run_here(darwin_artifact):
    for path in (darwin_artifact.full, darwin_artifact.install_only,
                 darwin_artifact.install_only_stripped):
        assert os.path.exists(path)
    names = package.artifact_names(darwin_artifact.opts)
    assert names["full"].startswith("cpython-3.13.15+dev-aarch64-apple-darwin-noopt-full")
    smoke = json.load(open(darwin_artifact.smoke))
    assert smoke["passed"] == [] and smoke["failed"] == {}
    assert "run them on an arm64 Mac" in smoke["not_run"]
    published = json.load(open(darwin_artifact.published_manifest))
    assert published["armpy"]["regression_tests"] is None
    assert published["armpy"]["validation"]["passed"]
    assert published["armpy"]["validation"]["checked"]["macho"] >= 70


def test_manifest_has_the_macos_fields(darwin_artifact):
    m = darwin_artifact.manifest
    assert darwin_artifact.first_member == "python/PYTHON.json"
    manifest.validate(m)
    assert m["target_triple"] == "aarch64-apple-darwin"
    assert m["python_platform_tag"] == "macosx-11.0-arm64"
    assert m["apple_sdk_platform"] == "macosx"
    assert m["apple_sdk_deployment_target"] == "11.0"
    assert m["apple_sdk_canonical_name"] == "macosx" + m["apple_sdk_version"]
    assert m["crt_features"] == ["libSystem"]
    assert m["python_suffixes"]["extension"] == [".cpython-313-darwin.so", ".abi3.so", ".so"]
    assert set(m["armpy"]["unbuilt_extensions"]) == set(darwin.UNBUILT_EXTENSIONS)
    assert "SDK" in m["armpy"]["unbuilt_extensions"]["_scproxy"]
    # Computed from the build, and what a Mac's sysconfig computes from the same data.
    assert m["python_paths"]["stdlib"] == "install/lib/python3.13"
    # As on a Mac: lib/python3.13/_sysconfigdata__darwin_darwin.py, config-3.13-darwin/.
    assert m["python_config_vars"]["MULTIARCH"] == "darwin"


def test_sysconfig_is_what_a_mac_user_expects(darwin_artifact):
    config = darwin_artifact.manifest["python_config_vars"]
    assert config["EXT_SUFFIX"] == ".cpython-313-darwin.so"
    assert config["SOABI"] == "cpython-313-darwin"
    assert config["MACOSX_DEPLOYMENT_TARGET"] == "11.0"
    assert config["CC"] == "clang"
    # Followed by the link flags every armpy link has (header room for re-signing).
    assert config["LDSHARED"].split()[:4] == ["clang", "-bundle", "-undefined", "dynamic_lookup"]
    assert set(config["LDSHARED"].split()[4:]) <= {"-Wl,-headerpad_max_install_names"}
    assert "-Wl,-stack_size,0x1000000" in config["LINKFORSHARED"]
    assert not [k for k, v in config.items() if ROOT in v or "zig" in v]


def test_every_required_module_is_built_and_the_unbuilt_are_absent(tree):
    dynload = os.path.join(tree, "lib", "python3.13", "lib-dynload")
    modules = [name for name in os.listdir(dynload) if not name.endswith(".dSYM")]
    built = {name.split(".", 1)[0] for name in modules}
    assert all(name.endswith(".cpython-313-darwin.so") for name in modules)
    builtin = set(json.load(open(os.path.join(tree, "PYTHON.json")))["armpy"]["builtin_modules"])
    assert set(darwin.REQUIRED_EXTENSIONS) - built - builtin == set()
    assert set(darwin.UNBUILT_EXTENSIONS) & (built | builtin) == set()


def test_every_macho_file_targets_macos_11_and_loads_only_system_libraries(tree):
    files = macho_files(tree)
    assert len(files) >= 70
    for path in files:
        header, commands = load_commands(path)
        rel = os.path.relpath(path, tree)
        assert mach_o.CPU_TYPE_NAMES[header.header.cputype] == "ARM64", rel
        builds = [c for load, c, _ in commands if load.cmd == mach_o.LC_BUILD_VERSION]
        assert len(builds) == 1, rel
        assert builds[0].platform == 1 and builds[0].minos == 0x0B0000, rel    # macOS 11.0
        dylibs = [data.rstrip(b"\0").decode() for load, _, data in commands
                  if load.cmd == mach_o.LC_LOAD_DYLIB]
        assert len(dylibs) == len(set(dylibs)), rel
        assert all(d.startswith(SYSTEM_DYLIB_PREFIXES) for d in dylibs), (rel, dylibs)
        assert not [1 for load, _, _ in commands if load.cmd == mach_o.LC_RPATH], rel


def test_every_signature_matches_the_final_bytes(darwin_artifact, tmp_path):
    """Both trees: the stripped one was edited after linking, and re-signed."""
    for archive in (darwin_artifact.install_only, darwin_artifact.install_only_stripped):
        where = tmp_path / os.path.basename(archive)
        archives.extract(archive, str(where))
        files = macho_files(str(where))
        assert len(files) >= 70
        for path in files:
            with open(path, "rb") as f:
                data = f.read()
            _, commands = load_commands(path)
            (signature,) = [c for load, c, _ in commands
                            if load.cmd == mach_o.LC_CODE_SIGNATURE]
            assert codesign.signature_problems(data, 0, signature.dataoff,
                                               signature.datasize) == [], path


def test_no_file_names_a_build_path_and_the_dsyms_hold_our_sources(darwin_artifact, tmp_path):
    """The full archive, .dSYM bundles included: the checkout (build tree, source cache,
    zig's installation) appears nowhere; the debug information names the sources by
    their fixed names."""
    archives.extract(darwin_artifact.full, str(tmp_path))
    assert relocate.files_mentioning(str(tmp_path), [ROOT]) == []
    (dwarf,) = glob.glob(str(tmp_path / "python" / "install" / "bin" / "python3.*.dSYM"
                              / "Contents" / "Resources" / "DWARF" / "python3.*"))
    with open(dwarf, "rb") as f:
        data = f.read()
    # DWARF 5 line tables keep a directory and a name apart: /armpy + zig/lib/...
    assert b"/armpy/src/cpython" in data and b"zig/lib/libc/include" in data
    assert b"ziglang" not in data, "zig's headers named where zig is installed"


def test_interpreter_has_the_16_mib_stack_and_libpython_is_named_by_rpath(tree):
    _, commands = load_commands(os.path.join(tree, "bin", "python3.13"))
    (main,) = [c for load, c, _ in commands if load.cmd == mach_o.LC_MAIN]
    assert main.stacksize == 0x1000000
    assert darwin.needed_libraries(os.path.join(tree, "bin", "python3.13")) == [
        "/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation",
        "/usr/lib/libSystem.B.dylib"]
    _, commands = load_commands(os.path.join(tree, "lib", "libpython3.13.dylib"))
    (ident,) = [data for load, _, data in commands if load.cmd == mach_o.LC_ID_DYLIB]
    assert ident.rstrip(b"\0") == b"@rpath/libpython3.13.dylib"


def test_validator_passes_the_archive_again(darwin_artifact, tmp_path):
    report = tmp_path / "report.json"
    result = subprocess.run([sys.executable, "-m", "armpy.validate",
                             darwin_artifact.install_only_stripped, "--json", str(report),
                             "--build-path", ROOT], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:]
    checked = json.load(open(report))
    assert checked["target"] == "aarch64-apple-darwin" and checked["checked"]["macho"] >= 70


def test_extension_built_with_the_recorded_toolchain_passes_the_validator(darwin_artifact,
                                                                         tree, tmp_path):
    """What a user's extension build gets from PYTHON.json links a valid module."""
    toolchain = darwin_artifact.manifest["armpy"]["toolchain"]
    source = tmp_path / "added.c"
    source.write_text(extension_source("added"))
    module = tmp_path / "wheel" / "added.cpython-313-darwin.so"
    module.parent.mkdir()
    include = os.path.join(tree, "include", "python3.13")
    subprocess.run([*target_cc(toolchain), "-shared", "-undefined", "dynamic_lookup",
                    f"-I{include}", str(source), "-o", str(module)], check=True)
    result = subprocess.run([sys.executable, "-m", "armpy.validate", str(module.parent),
                             "--target", "aarch64-apple-darwin"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:]


def test_regression_suite_refuses_to_run_a_macos_archive_here(darwin_artifact, tmp_path):
    result = subprocess.run([os.path.join(ROOT, "run"), "regrtest", darwin_artifact.install_only,
                             "--output-dir", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "armpy: error: aarch64-apple-darwin programs cannot run on this linux x86_64 host; "
        "run them on an arm64 Mac with macOS 11 or later"]
    assert os.listdir(tmp_path) == []


def test_killed_packaging_leaves_nothing_and_resumes(darwin_artifact, tmp_path):
    """A build killed in the middle of packaging publishes nothing; the next run completes.

    SIGKILL is the harshest interruption (no handler runs). Ctrl-C is gentler:
    SCons lets the running step finish or fail, and each file still reaches
    dist/ whole or not at all. Another build tag makes packaging run again for
    the already built interpreter. Packaging is the same code for every target;
    the macOS build's is the cheapest to repeat (its smoke test runs nothing here).
    """
    dist = tmp_path / "dist"
    options = [f"target={DARWIN_TARGET}", f"build_options={DARWIN_BUILD_OPTIONS}",
               f"dist_dir={dist}", "build_tag=resumed", *BUILD_DIR_ARGS]
    args = [os.path.join(os.path.dirname(sys.executable), "scons"), "-C", ROOT, *options]
    # Unbuffered, so each step's line arrives when the step starts.
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    seen = []
    for line in process.stdout:
        seen.append(line)
        if "package and smoke-test" in line:
            time.sleep(5)  # the archives are being written
            os.killpg(process.pid, signal.SIGKILL)
            break
    process.communicate(timeout=600)
    assert any("package and smoke-test" in line for line in seen), "".join(seen)
    leftovers = os.listdir(dist) if dist.exists() else []
    assert not [n for n in leftovers if n.endswith((".tar.gz", ".tar.zst", ".json"))], leftovers
    scons(*options)
    assert not [n for n in os.listdir(dist) if n.endswith(".tmp")]
    # Same inputs, same bytes: but for the tag in PYTHON.json, the resumed run's
    # archives hold exactly the members of the uninterrupted build's.
    for path in (darwin_artifact.full, darwin_artifact.install_only):
        resumed = dist / os.path.basename(path).replace("+dev-", "+resumed-")
        assert archive_members(resumed) == archive_members(path)


def archive_members(path):
    """name -> (mode, mtime, sha256 of the content or link target), without PYTHON.json."""
    return {name: member for name, member in archives.member_digests(str(path)).items()
            if name != "python/PYTHON.json"}
