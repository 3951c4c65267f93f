"""Bad options give one line naming the problem and the valid choices."""
import os
import subprocess
import types

import pytest

from armpy import options
from armpy.errors import ArmpyError
from conftest import scons


@pytest.mark.parametrize("argument,expected", [
    ("target=riscv64-unknown-linux-gnu", "valid: aarch64-unknown-linux-gnu"),
    ("toolchain=msvc", "valid: zig, gcc, clang"),
    ("python=2.7", "valid: 3.13"),
    ("build_options=fast", "grammar: [freethreaded+]{noopt|lto|pgo|pgo+lto|debug}"),
    ("build_options=debug+pgo", "grammar: [freethreaded+]{noopt|lto|pgo|pgo+lto|debug}"),
    ("build_options=freethreaded+freethreaded+lto", "unknown build_options"),
    ("pgo_task=everything", "unknown pgo_task 'everything' (valid: cpython, short)"),
    ("build_tag=has space", "invalid build_tag"),
    (("build_options=lto", "pgo_profile=dist/x-full.tar.zst"),
     "pgo_profile: build_options 'lto' has no pgo, and only a pgo build reads a profile"),
    (("build_options=pgo", "pgo_profile=/nonexistent/x-full.tar.zst"),
     "pgo_profile: /nonexistent/x-full.tar.zst: no such archive"),
    ("colour=blue", "unknown option 'colour'"),
    (("target=aarch64-apple-darwin", "toolchain=gcc"),
     "unknown toolchain for aarch64-apple-darwin 'gcc' (valid: zig, clang)"),
    (("target=aarch64-pc-windows-msvc", "build_options=lto"),
     "build_options 'lto' with toolchain zig: not yet built for Windows (valid: noopt)"),
    (("target=aarch64-apple-darwin", "toolchain=clang"),
     "toolchain clang for aarch64-apple-darwin is Xcode's and runs on a Mac only "
     "(valid on this host: zig)"),
    (("target=aarch64-apple-darwin", "regrtest=quick"),
     "regrtest=quick: aarch64-apple-darwin programs cannot run on this linux x86_64 host; "
     "run them on an arm64 Mac with macOS 11 or later (valid here: regrtest=none)"),
    (("target=aarch64-apple-darwin", "build_options=freethreaded+noopt"),
     "build_options 'freethreaded+noopt': aarch64-apple-darwin builds no freethreaded variant "
     "yet (its variants: none; built for aarch64-unknown-linux-gnu)"),
    (("target=aarch64-apple-darwin", "build_options=lto"),
     "build_options 'lto' with toolchain zig: zig's Mach-O linker cannot link LTO objects "
     "(valid: noopt; on a Mac, toolchain=clang builds lto)"),
    (("target=aarch64-apple-darwin", "build_options=pgo"),
     "build_options 'pgo' with toolchain zig: a profile of a macOS interpreter needs a "
     "Mac to run the training: build it there with toolchain=clang"),
])
def test_bad_option_is_one_line_error(argument, expected):
    arguments = argument if isinstance(argument, tuple) else (argument,)
    result = scons(*arguments, "-n", check=False)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("armpy: error:"), result.stderr
    assert expected in lines[0]


def test_help_lists_options_with_choices_and_defaults():
    result = scons("--help")
    for text in ("target: target triple", "allowed: zig, gcc, clang",
                 "allowed: noopt, lto, pgo, pgo+lto", "default: lto", "default: dev",
                 "pgo_task: training task"):
        assert text in result.stdout


def test_config_file_sets_options_and_command_line_wins(tmp_path):
    config = tmp_path / "release.py"
    config.write_text("build_tag = '20261121'\nbuild_options = 'noopt'\n")
    opts = options.resolve({"config": str(config), "build_options": "lto"})
    assert opts.build_tag == "20261121" and opts.build_options == "lto"
    assert opts.python == "3.13.15" and opts.toolchain == "zig"


def test_config_file_errors_name_the_file(tmp_path):
    config = tmp_path / "broken.py"
    config.write_text("build_tag = \n")
    with pytest.raises(ArmpyError, match="broken.py: line 1"):
        options.resolve({"config": str(config)})


def test_missing_compiler_names_the_package(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))  # nothing installed on this PATH
    for toolchain, package in (("gcc", "gcc-aarch64-linux-gnu"), ("clang", "lld")):
        result = scons(f"toolchain={toolchain}", "-n", env=env, check=False)
        assert result.returncode == 2, result.stderr
        line = result.stderr.strip().splitlines()[-1]
        assert "not found: install it with 'apt-get install" in line and package in line


def test_clang_pgo_takes_the_pinned_profile_runtime_where_its_own_is_missing(tmp_path):
    """Debian's clang installs its profile runtime for the host's architecture only; for
    aarch64 on another host the plan fetches the pinned one (recipes/clang_rt_profile.py)."""
    result = scons("toolchain=clang", "build_options=pgo", "-n", f"build_dir={tmp_path}",
                   check=False)
    assert result.returncode == 0, result.stderr
    resource_dir = subprocess.run(["clang", "-print-resource-dir"], capture_output=True,
                                  text=True, check=True).stdout.strip()
    own = os.path.join(resource_dir, "lib", "linux", "libclang_rt.profile-aarch64.a")
    planned = "build clang_rt_profile" in result.stdout
    assert planned != os.path.exists(own), result.stdout


@pytest.mark.parametrize("target,toolchain", [
    ("aarch64-unknown-linux-gnu", "zig"), ("aarch64-unknown-linux-gnu", "gcc"),
    ("aarch64-unknown-linux-gnu", "clang"), ("aarch64-apple-darwin", "zig")])
def test_dry_run_and_help_make_nothing(tmp_path, target, toolchain):
    """scons -n lists the steps of a cold build and writes no file; --help neither."""
    build, dist = tmp_path / "build", tmp_path / "dist"
    result = scons(f"target={target}", f"toolchain={toolchain}", "-n", f"build_dir={build}",
                   f"dist_dir={dist}")
    steps = [line for line in result.stdout.splitlines() if line.startswith("armpy: ")]
    assert any("build openssl" in line for line in steps)
    assert any(line.startswith("armpy: publish") for line in steps)
    scons(f"target={target}", f"toolchain={toolchain}", "--help", f"build_dir={build}")
    assert not build.exists() and not dist.exists()


def test_windows_runs_the_regression_suite_under_wine_as_any_target_does():
    """Under Wine a default Windows build runs the quick tier, as other targets do."""
    target = "aarch64-pc-windows-msvc"
    assert options.resolve({"target": target}).regrtest == "quick"
    assert options.resolve({"target": target, "regrtest": "none"}).regrtest == "none"
    assert options.resolve({}).regrtest == "quick"


@pytest.mark.parametrize("build_options,configure,abiflags,install_only", [
    ("freethreaded+pgo+lto", ["--disable-gil", "--enable-optimizations", "--with-lto"], "t",
     "-freethreaded-install_only.tar.gz"),
    ("debug", ["--with-pydebug"], "d", "-debug-install_only.tar.gz"),
    ("freethreaded+debug", ["--with-pydebug", "--disable-gil"], "td",
     "-freethreaded+debug-install_only.tar.gz"),
    ("pgo+lto", ["--enable-optimizations", "--with-lto"], "", "-linux-gnu-install_only.tar.gz"),
])
def test_a_variant_is_configured_and_named_as_standalone_cpython_names_it(
        build_options, configure, abiflags, install_only):
    """The whole grammar builds for Linux: configure's arguments, the ABI flags the
    files are named by, and the archive names uv's index and other tools read."""
    from armpy import package, platforms, recipes, variants
    opts = options.resolve({"build_options": build_options})
    native = types.SimpleNamespace(target=opts.target, cross=False)   # no cross answers
    args = recipes.load("cpython").configure_args(platforms.of(opts.target), native,
                                                  build_options)
    variant_args = [a for a in args if a in ("--disable-gil", "--with-pydebug",
                                             "--enable-optimizations", "--with-lto")]
    assert sorted(variant_args) == sorted(configure)
    assert variants.abiflags_of(build_options) == abiflags
    layout = platforms.of(opts.target).layout("3.13", abiflags)
    assert layout["python"] == f"bin/python3.13{abiflags}"
    assert layout["stdlib"] == ("lib/python3.13t" if "t" in abiflags else "lib/python3.13")
    names = package.artifact_names(opts)
    assert names["full"].endswith(f"-{build_options}-full.tar.zst")
    assert names["install_only"].endswith(install_only)
