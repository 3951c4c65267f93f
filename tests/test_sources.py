"""Fetching and verification of pinned sources, with real files from a real provider."""
import dataclasses
import os
import shutil

import pytest

from armpy import sources
from armpy.errors import ArmpyError


def debian_provider(recipe):
    return next(p for p in recipe.SOURCES if isinstance(p, sources.DebianOrig))


def test_verified_file_is_served_from_cache(bzip2_source, tmp_path):
    path, recipe = bzip2_source
    assert sources.sha256_of(path) == recipe.SOURCES[0].sha256
    provider = debian_provider(recipe)
    cached = sources.cache_path(str(tmp_path), provider)
    os.makedirs(os.path.dirname(cached))
    shutil.copyfile(path, cached)
    got, used = sources.fetch([provider], str(tmp_path))
    assert got == cached and used == provider


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_tampered_cache_entry_is_refused_and_refetched(bzip2_source, tmp_path, damage):
    path, recipe = bzip2_source
    provider = debian_provider(recipe)
    cached = sources.cache_path(str(tmp_path), provider)
    os.makedirs(os.path.dirname(cached))
    with open(path, "rb") as f:
        data = bytearray(f.read())
    if damage == "flip":
        data[1000] ^= 0xFF
    else:
        data = data[: len(data) // 2]
    with open(cached, "wb") as f:
        f.write(data)
    messages = []
    got, _ = sources.fetch([provider], str(tmp_path), log=messages.append)
    # Reported with the file name, then fetched again from Debian's archive and verified.
    assert any("bzip2_1.0.8.orig.tar.gz" in m and "discarded" in m for m in messages), messages
    if damage == "flip":
        assert any(sources.sha256_of(path) in m for m in messages), messages
    assert sources.sha256_of(got) == provider.sha256


def test_wrong_pin_is_an_error_and_nothing_is_cached(bzip2_source, tmp_path):
    _, recipe = bzip2_source
    real = debian_provider(recipe)
    wrong = dataclasses.replace(real, sha256="0" * 64, size=None)
    with pytest.raises(ArmpyError) as error:
        sources.fetch([wrong], str(tmp_path), log=lambda m: None)
    message = str(error.value)
    assert "0" * 64 in message and real.sha256 in message and "\n" not in message
    leftovers = [f for _, _, files in os.walk(tmp_path) for f in files]
    assert leftovers == []


def test_unreachable_upstream_falls_back_to_debian(bzip2_source, tmp_path):
    _, recipe = bzip2_source
    unreachable = sources.Upstream("https://upstream.invalid/bzip2-1.0.8.tar.gz",
                                   sha256=recipe.SOURCES[0].sha256)
    messages = []
    got, used = sources.fetch([unreachable, debian_provider(recipe)], str(tmp_path),
                              log=messages.append)
    assert isinstance(used, sources.DebianOrig)
    assert "upstream.invalid" in messages[0]


def test_a_revision_debian_dropped_still_finds_its_orig_file(bzip2_source, tmp_path):
    """Debian keeps only current revisions; the orig file is the pin, and another
    revision of the same upstream version carries the same bytes."""
    _, recipe = bzip2_source
    pinned = debian_provider(recipe)
    gone = sources.DebianOrig(pinned.package, "1.0.8-0.1", pinned.filename,
                              sha256=pinned.sha256, size=pinned.size)
    got, used = sources.fetch([gone], str(tmp_path), log=lambda m: None)
    assert used is gone and sources.sha256_of(got) == pinned.sha256


def test_unknown_debian_version_is_a_clear_error(tmp_path):
    missing = sources.DebianOrig("bzip2", "0.0-0", "bzip2_0.0.orig.tar.gz", sha256="0" * 64)
    with pytest.raises(ArmpyError, match="not available through apt, nor bzip2_0.0.orig.tar.gz"):
        sources.fetch([missing], str(tmp_path), log=lambda m: None)


def test_every_recipe_pins_every_provider():
    from armpy import recipes
    for name in recipes.names():
        recipe = recipes.load(name)
        providers = recipe.SOURCES
        # A recipe without an upstream provider says why (recipes/compiler_rt_profile.py).
        assert isinstance(providers[0], sources.Upstream) or getattr(recipe, "NO_UPSTREAM", ""), \
            f"{name}: upstream must come first"
        # Debian's archive is reachable wherever armpy builds: every input has a copy
        # there, or its recipe says why not (recipes/msvc_runtime.py: PyPI's is the one).
        assert any(isinstance(p, (sources.DebianOrig, sources.DebianBinary))
                   for p in providers) or getattr(recipe, "NO_DEBIAN", ""), name
        for p in providers:
            assert len(p.sha256) == 64 and int(p.sha256, 16) >= 0, (name, p)
