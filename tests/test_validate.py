"""The validator on real binaries: real wheels from PyPI and our own builds pass;
a deliberately broken copy of a real binary makes each rule fire."""
import glob
import hashlib
import io
import json
import re
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import zipfile

import pefile
import pytest
from macholib import mach_o
from macholib.MachO import MachO

from conftest import CACHE_DIR, DEFAULT_TOOLCHAIN, ROOT
from armpy import archives, relocate, validate
from armpy.validate import rules

LINUX, MACOS, WINDOWS = "aarch64-unknown-linux-gnu", "aarch64-apple-darwin", \
    "aarch64-pc-windows-msvc"

# Real arm64 binaries, fetched from PyPI at test time and verified against these pins.
WHEELS = {
    "markupsafe-3.0.3-cp313-cp313-macosx_11_0_arm64.whl":
        "116bb52f642a37c115f517494ea5feb03889e04df47eeff5b130b1808ce7c219",
    "markupsafe-3.0.3-cp313-cp313-win_arm64.whl":
        "7e68f88e5b8799aa49c85cd116c932a1ac15caaa3f5db09087854d218359e485",
    # Pure Python, but it carries setuptools' arm64 Windows launchers (cli-arm64.exe…).
    "setuptools-80.9.0-py3-none-any.whl":
        "062d34222ad13e0cc312a4c02d73f059e86a4acbfbdea8f8f76b28c99f306922",
}
WHEEL_CACHE = os.path.join(os.path.dirname(CACHE_DIR), "wheels")


def fetch_wheel(filename):
    """Download one pinned wheel with pip (the machine's index settings apply)."""
    path = os.path.join(WHEEL_CACHE, filename)
    if not os.path.exists(path):
        name, version, _py, _abi, platform = filename[:-len(".whl")].split("-")
        command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                   "--only-binary=:all:", "-d", WHEEL_CACHE, f"{name}=={version}"]
        if platform != "any":
            command += ["--platform", platform, "--python-version", "3.13",
                        "--implementation", "cp"]
        subprocess.run(command, check=True, capture_output=True, timeout=600)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != WHEELS[filename]:
        os.unlink(path)
        pytest.fail(f"{filename}: sha256 {digest} does not match its pin; removed")
    return path


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    """Each pinned wheel, downloaded, verified and unpacked."""
    unpacked = {}
    for filename in WHEELS:
        dest = tmp_path_factory.mktemp(filename.split("-")[0])
        with zipfile.ZipFile(fetch_wheel(filename)) as wheel:
            wheel.extractall(dest)
        unpacked[filename] = dest
    return unpacked


def only(paths, dest):
    """A directory holding copies of just these files."""
    dest.mkdir(exist_ok=True)
    for path in paths:
        shutil.copy(path, dest)
    return dest


def violations(path, target, **declared):
    report = validate.check_path(str(path), target=target, **declared)
    return report, {v.rule for v in report.violations}


# --- Mach-O (arm64 macOS) --------------------------------------------------------------

@pytest.fixture
def macho(wheels, tmp_path):
    """markupsafe's arm64 extension module, alone in a directory, ready to be broken."""
    (path,) = glob.glob(str(wheels[list(WHEELS)[0]] / "markupsafe" / "*.so"))
    folder = only([path], tmp_path / "macho")
    return folder / os.path.basename(path)


def test_macos_wheel_passes_as_downloaded():
    report = validate.check_path(fetch_wheel(list(WHEELS)[0]))
    assert report.target == MACOS and report.declared["deployment_target"] == "11.0"
    assert report.checked == {"macho": 1} and report.passed, report.violations


def edit_load_commands(path, edit):
    """Apply `edit(header)` to the load commands with macholib and write them back."""
    binary = MachO(str(path))
    edit(binary.headers[0])
    with open(path, "r+b") as f:
        binary.write(f)


def remove_command(header, command_id):
    for index, (load, _cmd, _data) in enumerate(header.commands):
        if load.cmd == command_id:
            del header.commands[index]
            header.header.ncmds -= 1
            header.changedHeaderSizeBy(-load.cmdsize)
            return


def duplicate_command(header, command_id):
    # The header has little padding: drop two informational commands to make room.
    remove_command(header, mach_o.LC_SOURCE_VERSION)
    remove_command(header, mach_o.LC_DATA_IN_CODE)
    original = next(c for c in header.commands if c[0].cmd == command_id)
    header.commands.append(original)
    header.header.ncmds += 1
    header.changedHeaderSizeBy(original[0].cmdsize)


def patch_bytes(path, old, new):
    data = path.read_bytes()
    assert len(old) == len(new) and data.count(old) == 1
    path.write_bytes(data.replace(old, new))


CPU_TYPE_X86_64 = 0x01000007


def set_cpu(path, cputype):
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, 4, cputype)
    path.write_bytes(bytes(data))


def flip_byte_in_code(path):
    """Flip one byte in __TEXT,__text, well after the header page."""
    binary = MachO(str(path))
    text = next(s for _l, cmd, sections in binary.headers[0].commands
                if isinstance(cmd, mach_o.segment_command_64) and cmd.segname.rstrip(b"\0") ==
                b"__TEXT" for s in sections if s.sectname.rstrip(b"\0") == b"__text")
    data = bytearray(path.read_bytes())
    data[text.offset + text.size // 2] ^= 0xFF
    path.write_bytes(bytes(data))


MACHO_BREAKAGES = {
    "macho-cpu": lambda p: set_cpu(p, CPU_TYPE_X86_64),
    "macho-dylibs": lambda p: patch_bytes(p, b"/usr/lib/libSystem.B.dylib",
                                          b"/opt/lib/libSystem.B.dylib"),
    "macho-duplicate-load-command": lambda p: edit_load_commands(
        p, lambda h: duplicate_command(h, mach_o.LC_LOAD_DYLIB)),
    "macho-code-signature": flip_byte_in_code,
}


@pytest.mark.parametrize("rule", sorted(MACHO_BREAKAGES))
def test_macho_rule_fires_on_broken_copy(macho, rule):
    report, fired = violations(macho.parent, MACOS)
    assert report.passed, report.violations
    MACHO_BREAKAGES[rule](macho)
    report, fired = violations(macho.parent, MACOS)
    assert rule in fired, report.violations


def test_macho_unsigned_copy_is_refused(macho):
    edit_load_commands(macho, lambda h: remove_command(h, mach_o.LC_CODE_SIGNATURE))
    report, fired = violations(macho.parent, MACOS)
    assert fired == {"macho-code-signature"}
    assert "not signed" in report.violations[0].message


def test_macho_minimum_os_must_equal_the_declared_target(macho):
    report, fired = violations(macho.parent, MACOS, deployment_target="12.0")
    assert fired == {"macho-minimum-os"}
    assert "minimum macOS is 11.0, not the declared deployment target 12.0" in \
        report.violations[0].message


# --- PE (Windows arm64) ----------------------------------------------------------------

@pytest.fixture
def pe_files(wheels, tmp_path):
    """markupsafe's .pyd and setuptools' arm64 launchers, ready to be broken."""
    pyd = glob.glob(str(wheels[list(WHEELS)[1]] / "markupsafe" / "*.pyd"))
    exes = glob.glob(str(wheels[list(WHEELS)[2]] / "setuptools" / "*-arm64.exe"))
    assert len(pyd) == 1 and len(exes) == 2
    return only(pyd + exes, tmp_path / "pe")


def test_windows_wheel_and_launchers_pass(pe_files):
    assert validate.check_path(fetch_wheel(list(WHEELS)[1])).passed
    report, _ = violations(pe_files, WINDOWS)
    assert report.checked == {"pe": 3} and report.passed, report.violations


def set_pe_machine(path, machine):
    pe = pefile.PE(str(path))
    pe.FILE_HEADER.Machine = machine
    data = pe.write()
    pe.close()
    path.write_bytes(bytes(data))


PE_BREAKAGES = {
    "pe-machine": ("cli-arm64.exe", lambda p: set_pe_machine(p, 0x8664)),   # AMD64
    "pe-imports": ("cli-arm64.exe", lambda p: patch_bytes(p, b"KERNEL32.dll", b"LIBEVIL3.dll")),
    "pe-extension-export": ("_speedups.cp313-win_arm64.pyd",
                            lambda p: patch_bytes(p, b"PyInit__speedups", b"PyInit__spoiled_")),
}


@pytest.mark.parametrize("rule", sorted(PE_BREAKAGES))
def test_pe_rule_fires_on_broken_copy(pe_files, rule):
    name, breakage = PE_BREAKAGES[rule]
    breakage(pe_files / name)
    report, fired = violations(pe_files, WINDOWS)
    assert fired == {rule}, report.violations
    assert report.violations[0].path == name


# --- ELF (aarch64 Linux) ---------------------------------------------------------------

FIXTURE_SOURCE = "int armpy_fixture(int x) { return x + 1; }\n"
HARDENED = ["-Wl,-z,relro", "-Wl,-z,now", "-Wl,-z,noexecstack"]


def cross_gcc():
    return "gcc" if os.uname().machine == "aarch64" else "aarch64-linux-gnu-gcc"


def link_shared(folder, name, flags=(), source=FIXTURE_SOURCE, suffix=".c"):
    """A real aarch64 shared object, built with Debian's GCC for the target."""
    src = folder.parent / f"{name}{suffix}"
    src.write_text(source)
    out = folder / f"{name}.so"
    subprocess.run([cross_gcc(), "-shared", "-O2", *flags, str(src), "-o", str(out)],
                   check=True, capture_output=True)
    return out


def patchelf(*args):
    subprocess.run(["patchelf", *map(str, args)], check=True, capture_output=True)


def misalign_last_load(path):
    """Move the last PT_LOAD's file offset off its address's alignment, as llvm-strip 14
    did to a patchelf-ed interpreter (program headers of an ELF64 little-endian file)."""
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        phoff, = struct.unpack_from("<Q", data, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
        loads = [phoff + i * phentsize for i in range(phnum)
                 if struct.unpack_from("<I", data, phoff + i * phentsize)[0] == 1]
        offset, = struct.unpack_from("<Q", data, loads[-1] + 8)
        struct.pack_into("<Q", data, loads[-1] + 8, offset + 0x3e0)
        f.seek(0)
        f.write(data)


@pytest.fixture
def elf_dir(tmp_path):
    folder = tmp_path / "elf"
    folder.mkdir()
    return folder


ELF_BREAKAGES = {
    # rule: (link flags, source, source suffix, then a change made to the linked file);
    # elf-machine has its own test below (a binary built by the host's compiler).
    "glibc-floor": (["-fPIC", *HARDENED], "#include <stdlib.h>\n"
                    "void *armpy_fixture(void *p) { return reallocarray(p, 2, 8); }\n", ".c", None),
    "needed-libraries": (["-fPIC", *HARDENED], FIXTURE_SOURCE, ".c",
                         lambda p: patchelf("--add-needed", "libssl.so.3", p)),
    "search-path": (["-fPIC", *HARDENED], FIXTURE_SOURCE, ".c",
                    lambda p: patchelf("--set-rpath", "/opt/build/lib", p)),
    "hardening-noexec-stack": (["-fPIC", "-Wl,-z,relro", "-Wl,-z,now", "-Wl,-z,execstack"],
                               FIXTURE_SOURCE, ".c", None),
    "hardening-relro": (["-fPIC", "-Wl,-z,norelro", "-Wl,-z,now"], FIXTURE_SOURCE, ".c", None),
    "hardening-bind-now": (["-fPIC", "-Wl,-z,relro", "-Wl,-z,lazy"], FIXTURE_SOURCE, ".c", None),
    "segment-alignment": (["-fPIC", *HARDENED], FIXTURE_SOURCE, ".c", misalign_last_load),
    # An absolute address stored in .text: the loader must write into the code.
    "hardening-no-textrel": (HARDENED, ".text\n.globl armpy_fixture\narmpy_fixture:\n  ret\n"
                             "  .quad armpy_fixture\n", ".S", None),
}


def test_elf_fixture_built_correctly_passes(elf_dir):
    link_shared(elf_dir, "good", ["-fPIC", *HARDENED])
    report, _ = violations(elf_dir, LINUX)
    assert report.checked == {"elf": 1} and report.passed, report.violations


@pytest.mark.parametrize("rule", sorted(ELF_BREAKAGES))
def test_elf_rule_fires_on_broken_binary(elf_dir, rule):
    flags, source, suffix, change = ELF_BREAKAGES[rule]
    path = link_shared(elf_dir, "broken", flags, source, suffix)
    if change:
        change(path)
    report, fired = violations(elf_dir, LINUX)
    assert fired == {rule}, report.violations


def test_elf_machine_rule_fires_on_a_host_binary(elf_dir):
    src = elf_dir.parent / "host.c"
    src.write_text(FIXTURE_SOURCE)
    subprocess.run(["gcc", "-shared", "-fPIC", str(src), "-o", str(elf_dir / "host.so")],
                   check=True)
    report, fired = violations(elf_dir, LINUX)
    assert fired == {"elf-machine"} and "EM_X86_64" in report.violations[0].message


def test_glibc_floor_names_the_symbols_and_follows_the_declared_floor(elf_dir):
    flags, source, suffix, _ = ELF_BREAKAGES["glibc-floor"]
    link_shared(elf_dir, "newer", flags, source, suffix)
    report, _ = violations(elf_dir, LINUX)
    assert "needs GLIBC_2.26 (floor 2.17) for reallocarray" in report.violations[0].message
    assert violations(elf_dir, LINUX, glibc_floor="2.28")[0].passed


def test_rpath_leaving_the_tree_and_libpython_without_origin(elf_dir):
    exe = link_shared(elf_dir, "python3.13", ["-fPIC", *HARDENED])
    patchelf("--set-rpath", "$ORIGIN/../..", exe)
    patchelf("--add-needed", "libpython3.13.so.1.0", exe)
    report, fired = violations(elf_dir, LINUX)
    messages = {v.rule: v.message for v in report.violations}
    assert fired == {"search-path", "needed-libraries"}
    assert "'$ORIGIN/../..' points outside the tree" in messages["search-path"]
    assert "libpython3.13.so.1.0" in messages["needed-libraries"]


def test_bundled_library_symbols_exported_by_libpython(elf_dir):
    lib = elf_dir / "lib"
    lib.mkdir()
    source = "int SSL_read(void *s, void *b, int n) { return n; }\n" + FIXTURE_SOURCE
    built = link_shared(lib, "libpython3.13", ["-fPIC", *HARDENED], source)
    report, fired = violations(elf_dir, LINUX)
    assert fired == {"bundled-symbols-exported"} and "SSL_read" in report.violations[0].message
    # The same symbol hidden, as the build compiles dependencies, passes.
    built.unlink()
    link_shared(lib, "libpython3.13", ["-fPIC", "-fvisibility=hidden", *HARDENED], source)
    assert violations(elf_dir, LINUX)[0].passed


def test_every_rule_has_a_failing_fixture():
    """The rule names the checks can report, against the fixtures above."""
    covered = set(MACHO_BREAKAGES) | {"macho-minimum-os"} | set(PE_BREAKAGES) \
        | set(ELF_BREAKAGES) | {"elf-machine", "bundled-symbols-exported"} \
        | set(DISTRIBUTION_BREAKAGES)
    reported = set()
    for module in ("elf_checks", "macho_checks", "pe_checks", "distribution"):
        with open(os.path.join(ROOT, "armpy", "validate", f"{module}.py")) as f:
            text = f.read()
        reported |= {r for r in rules_named_in(text)}
    assert len(reported) == 23 and reported - covered == set()


def rules_named_in(text):
    names = set(re.findall(r'violation\(\s*"([a-z-]+)"', text))
    names |= set(re.findall(r'Violation\([^,]+,\s*"([a-z-]+)"', text))
    names |= {f"hardening-{flag}" for flag in re.findall(r'"([a-z-]+)": _\w+', text)}
    return names - {"elf-readable", "macho-readable", "pe-readable"}


# --- Distributions: our own builds ------------------------------------------------------

def test_our_build_passes_and_was_validated_before_packaging(artifact):
    report = validate.check_path(artifact.full)
    assert report.passed, [str(v) for v in report.violations]
    assert report.checked["elf"] > 50
    with open(artifact.published_manifest) as f:
        recorded = json.load(f)["armpy"]["validation"]
    assert recorded["passed"] and recorded["checked"] == report.checked
    floor = artifact.manifest["armpy"]["toolchain"]["glibc_floor"]
    assert recorded["declared"]["glibc_floor"] == floor
    measured = [c for c in artifact.manifest["crt_features"] if c.startswith("glibc-max")]
    assert rules.version_tuple(measured[0].split(":")[1]) <= rules.version_tuple(floor)


def test_install_only_archive_passes_too(artifact):
    report = validate.check_path(artifact.install_only)
    assert report.passed, [str(v) for v in report.violations]


def edit_manifest(python_dir, change):
    path = python_dir / "PYTHON.json"
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def plant_build_path(python_dir):
    (data,) = glob.glob(str(python_dir / "install" / "lib" / "python3.*" / "_sysconfigdata_*.py"))
    with open(data) as f:
        text = f.read()
    with open(data, "w") as f:
        f.write(text.replace("'CFLAGS': '", "'CFLAGS': '-I/home/builder/work/include ", 1))


DISTRIBUTION_BREAKAGES = {
    "manifest-schema": lambda d: edit_manifest(d, lambda m: m.pop("python_tag")),
    "manifest-paths": lambda d: edit_manifest(
        d, lambda m: m.update(python_exe="install/bin/python9.99")),
    "manifest-tags": lambda d: edit_manifest(
        d, lambda m: m.update(python_platform_tag="linux-x86_64")),
    "manifest-glibc": lambda d: edit_manifest(
        d, lambda m: m.update(crt_features=["glibc-dynamic", "glibc-max-symbol-version:2.12"])),
    "build-paths": plant_build_path,
}


@pytest.mark.parametrize("rule", sorted(DISTRIBUTION_BREAKAGES))
def test_distribution_rule_fires_on_broken_copy(artifact, tmp_path, rule):
    archives.extract(artifact.full, str(tmp_path))
    python_dir = tmp_path / "python"
    DISTRIBUTION_BREAKAGES[rule](python_dir)
    report, fired = violations(python_dir, "")
    assert fired == {rule}, [str(v) for v in report.violations]


def test_explicit_build_path_is_found_in_any_file(artifact, tmp_path):
    archives.extract(artifact.full, str(tmp_path))
    lib = tmp_path / "python" / "install" / "lib" / "python3.13"
    readme = lib / "site-packages" / "README.txt"
    readme.write_text(readme.read_text() + "\nbuilt in /srv/ci/job-1234/build\n")
    # Bytes after an ELF file's last section: as a path in its debug information.
    (module,) = lib.glob("lib-dynload/_json.*.so")
    with open(module, "ab") as f:
        f.write(b"/srv/ci/job-1234/build/work/cpython/Modules/_json.c\0")
    report, fired = violations(tmp_path / "python", "", build_paths=["/srv/ci/job-1234"])
    assert fired == {"build-paths"}
    assert sorted(v.path for v in report.violations) == [
        f"install/lib/python3.13/lib-dynload/{module.name}",
        "install/lib/python3.13/site-packages/README.txt"]


def test_no_file_of_the_full_archive_names_a_build_path(artifact, tmp_path):
    """Binaries, debug information and bytecode included: the checkout (which holds
    the build tree, the source cache and the toolchain's installation) appears nowhere."""
    archives.extract(artifact.full, str(tmp_path))
    assert relocate.files_mentioning(str(tmp_path), [ROOT]) == []


# --- Bad input ---------------------------------------------------------------------------

def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "armpy.validate", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)


def tar_with(path, name, **fields):
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(name)
        for key, value in fields.items():
            setattr(info, key, value)
        data = b"#!/bin/sh\ntouch /tmp/armpy-validate-ran\n"
        info.size = 0 if fields else len(data)
        tar.addfile(info, None if fields else io.BytesIO(data))


def bad_inputs(tmp_path, bzip2_source, artifact_path):
    text = tmp_path / "notes.txt"
    text.write_text("not an archive\n")
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(open(artifact_path, "rb").read()[:200_000])
    not_wheel = tmp_path / "data.zip"
    with zipfile.ZipFile(not_wheel, "w") as z:
        z.writestr("x.txt", "x")
    evil_wheel = tmp_path / "evil-1.0-py3-none-any.whl"
    with zipfile.ZipFile(evil_wheel, "w") as z:
        z.writestr("../escaped.txt", "x")
    dotdot, absolute, link = (tmp_path / n for n in ("dotdot.tar.gz", "abs.tar.gz", "link.tar.gz"))
    tar_with(dotdot, "python/../../escaped.sh")
    tar_with(absolute, "/tmp/escaped.sh")
    tar_with(link, "python/lib", type=tarfile.SYMTYPE, linkname="../../etc")
    return {
        "missing": (tmp_path / "nope.tar.gz", "no such file"),
        "text file": (text, "not a tar archive"),
        "truncated": (truncated, "truncated"),
        "another tool's archive": (bzip2_source, "no python/PYTHON.json"),
        "zip that is no wheel": (not_wheel, "not a wheel"),
        "wheel escaping its tree": (evil_wheel, "refusing to extract member '../escaped.txt'"),
        "'..' member": (dotdot, "refusing to extract member 'python/../../escaped.sh'"),
        "absolute member": (absolute, "refusing to extract member '/tmp/escaped.sh'"),
        "link out of the tree": (link, "refusing to extract member 'python/lib'"),
    }


def test_bad_input_is_one_line_and_exit_2(tmp_path, bzip2_source, artifact):
    if artifact.toolchain != DEFAULT_TOOLCHAIN:
        pytest.skip("input checks do not depend on the toolchain")
    cases = bad_inputs(tmp_path, bzip2_source[0], artifact.install_only)
    for label, (path, expected) in cases.items():
        result = run_cli(path)
        assert result.returncode == 2, (label, result.stdout, result.stderr)
        assert result.stdout == "" and result.stderr.count("\n") == 1, (label, result.stderr)
        assert expected in result.stderr, (label, result.stderr)
    assert not os.path.exists(tmp_path.parent / "escaped.txt")
    assert not os.path.exists("/tmp/escaped.sh") and not os.path.exists("/tmp/armpy-validate-ran")
    unknown = run_cli(tmp_path / "notes.txt", "--target", "riscv64-linux")
    assert unknown.returncode == 2 and "valid: aarch64-apple-darwin" in unknown.stderr


def test_violations_exit_1_naming_file_and_rule(wheels, tmp_path):
    (path,) = glob.glob(str(wheels[list(WHEELS)[1]] / "markupsafe" / "*.pyd"))
    folder = only([path], tmp_path / "one")
    set_pe_machine(folder / os.path.basename(path), 0x8664)
    result = run_cli(folder, "--target", WINDOWS, "--json", tmp_path / "report.json")
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == \
        "_speedups.cp313-win_arm64.pyd: pe-machine: machine is IMAGE_FILE_MACHINE_AMD64, " \
        "not IMAGE_FILE_MACHINE_ARM64"
    assert json.loads((tmp_path / "report.json").read_text())["passed"] is False
