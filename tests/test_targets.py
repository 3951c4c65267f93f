"""The target table (targets.toml): every consumer reads its facts from there."""
import glob
import os
import platform
import re
import sys

import pytest

from armpy import builder, recipes, runner, targets
from armpy.errors import ArmpyError
from armpy.validate import rules
from conftest import CACHE_DIR


@pytest.mark.parametrize("tag,expected", [
    ("manylinux_2_28_aarch64", ("aarch64-unknown-linux-gnu", {"glibc_floor": "2.28"})),
    ("manylinux2014_aarch64", ("aarch64-unknown-linux-gnu", {"glibc_floor": "2.17"})),
    ("linux_aarch64", ("aarch64-unknown-linux-gnu", {})),
    ("macosx_11_0_arm64", ("aarch64-apple-darwin", {"deployment_target": "11.0"})),
    ("macosx_14_0_arm64", ("aarch64-apple-darwin", {"deployment_target": "14.0"})),
    ("win_arm64", ("aarch64-pc-windows-msvc", {})),
    ("manylinux_2_28_x86_64", ("", {})),
    ("macosx_11_0_x86_64", ("", {})),
    ("win_amd64", ("", {})),
])
def test_wheel_tags_name_the_target_and_what_they_declare(tag, expected):
    assert targets.for_wheel_tag(tag) == expected


def test_every_target_has_its_rules_and_a_consistent_row():
    assert targets.DEFAULT_TARGET in targets.BUILDABLE
    for triple, target in targets.TARGETS.items():
        loaded = rules.load(triple)
        assert loaded["target"] is target and target.binary_format in loaded
        # A target's own wheel tags and its sysconfig platform agree on the OS version.
        if target.platform == "darwin":
            assert target.sysconfig_platform == f"macosx-{target.deployment_target}-arm64"
        if target.platform == "linux":
            assert target.glibc_floor and target.gnu_triple and target.runner == "qemu"
        assert "{abi}" in target.extension_suffix


def test_openssl_configure_knows_every_target_name(tmp_path):
    """Each openssl_target is a configuration of the pinned OpenSSL source, as armpy
    patches it (mingw-arm64)."""
    recipe = recipes.load("openssl")
    srcdir = str(tmp_path / "openssl")
    builder.prepare_source(recipe, recipe.SOURCES, CACHE_DIR, srcdir, str(tmp_path / "log"))
    conf = "".join(open(path).read() for path in
                   glob.glob(os.path.join(srcdir, "Configurations", "[0-9][0-9]-*.conf")))
    for target in targets.TARGETS.values():
        assert re.search(rf'^\s*"{re.escape(target.openssl_target)}"\s*=>', conf, re.M), target


@pytest.mark.parametrize("row,expected", [
    ('platform = "plan9"', "unknown platform 'plan9' (valid: linux, darwin, windows)"),
    ('colour = "blue"', "unexpected keyword argument 'colour'"),
])
def test_a_malformed_row_is_a_one_line_error(tmp_path, row, expected):
    text = open(targets.TABLE).read()
    first = text.index("[aarch64-unknown-linux-gnu]\n") + len("[aarch64-unknown-linux-gnu]\n")
    broken = tmp_path / "targets.toml"
    if row.startswith("platform"):
        broken.write_text(text.replace('platform = "linux"', row, 1))
    else:
        broken.write_text(text[:first] + row + "\n" + text[first:])
    with pytest.raises(ArmpyError) as error:
        targets.load(str(broken))
    message = str(error.value)
    assert "\n" not in message and "target aarch64-unknown-linux-gnu" in message
    assert expected in message


@pytest.mark.parametrize("triple,where", [
    ("aarch64-apple-darwin", "an arm64 Mac with macOS 11 or later"),
])
def test_a_target_this_host_cannot_run_is_named_with_where_it_runs(triple, where):
    with pytest.raises(ArmpyError) as error:
        runner.detect(targets.TARGETS[triple])
    assert str(error.value) == (f"{triple} programs cannot run on this {sys.platform} "
                                f"{platform.machine()} host; run them on {where}")


def test_windows_programs_run_here_under_wine():
    target = targets.TARGETS["aarch64-pc-windows-msvc"]
    assert runner.runs_here(target)
    assert runner.detect(target)["kind"] == "wine"
    # Windows paths of the host's drive are given back as the host's paths.
    assert runner.host_paths(target, {"p": ["Z:\\tmp\\a b\\Lib"], "q": "C:\\x"}) == \
        {"p": ["/tmp/a b/Lib"], "q": "C:\\x"}
