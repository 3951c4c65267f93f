"""Skip lists and tiers are data; every entry must carry a valid reason."""
import os

import pytest

from armpy import manifest, regrtest, skiplist
from armpy.errors import ArmpyError
from armpy.targets import TARGETS


def test_every_skip_list_in_the_repository_loads_with_reasons():
    paths = skiplist.available()
    assert paths, "no skip lists found"
    for path in paths:
        entries = skiplist.load(path)
        for entry in entries:
            assert entry.reason in skiplist.REASONS and entry.why, entry
        # Defects of our own build are fixed, not listed.
        assert skiplist.category_sizes(entries)["ours"] == 0, path


def test_each_target_has_a_list_per_runner_kind():
    """Natively, and through the runner its programs have on another host."""
    for triple in ("aarch64-unknown-linux-gnu", "aarch64-pc-windows-msvc"):
        runner_kind = {"qemu": "emulated", "wine": "wine"}[TARGETS[triple].runner]
        for kind in ("native", runner_kind):
            assert kind in skiplist.RUNNER_KINDS
            assert os.path.exists(skiplist.path_for(triple, "3.13", kind)), (triple, kind)


def write(tmp_path, text, name="list.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("body,expected", [
    ('test = "test_os"\nmode = "fail"\nwhy = "x"', "reason '' is not valid (valid: emulation, "
                                                    "wine, sandbox, upstream, ours)"),
    ('test = "test_os"\nmode = "fail"\nreason = "flaky"\nwhy = "x"', "reason 'flaky' is not valid"),
    ('test = "test_os"\nmode = "fail"\nreason = "sandbox"', "entry has no 'why'"),
    ('test = "test_os"\nmode = "fail"\nreason = "upstream"\nwhy = "x"', "needs a 'link'"),
    ('test = "test_os"\nmode = "ignore"\nreason = "sandbox"\nwhy = "x"', "mode 'ignore' is not valid "
                                                                         "(valid: fail, skip)"),
    ('test = "test_os"\nmode = "fail"\nreason = "ours"\nwhy = "x"\nseverity = 1', "unknown key"),
    ('mode = "fail"\nreason = "ours"\nwhy = "x"', "entry has no 'test'"),
])
def test_bad_entry_is_a_one_line_error_naming_file_and_entry(tmp_path, body, expected):
    path = write(tmp_path, f"[[entry]]\n{body}\n")
    with pytest.raises(ArmpyError) as caught:
        skiplist.load(path)
    message = str(caught.value)
    assert expected in message and "\n" not in message
    assert "list.toml: entry 1" in message


def test_duplicate_entry_across_an_include_is_rejected(tmp_path):
    entry = '[[entry]]\ntest = "test_os.X.y"\nmode = "fail"\nreason = "sandbox"\nwhy = "x"\n'
    write(tmp_path, entry, "base.toml")
    path = write(tmp_path, 'include = ["base.toml"]\n' + entry.replace("test_os", "test.test_os"))
    with pytest.raises(ArmpyError, match="test.test_os.X.y is already listed by"):
        skiplist.load(path)


def test_missing_skip_list_names_the_available_ones(tmp_path):
    with pytest.raises(ArmpyError, match=r"does not exist \(available: .*3.13-emulated.toml"):
        skiplist.load(str(tmp_path / "nope.toml"))


def test_entries_cover_their_cases_and_nothing_else(tmp_path):
    path = write(tmp_path, '[[entry]]\ntest = "test_os.FileTests"\nmode = "fail"\n'
                           'reason = "emulation"\nwhy = "x"\n')
    (entry,) = skiplist.load(path)
    assert entry.covers("test.test_os.FileTests.test_access")
    assert not entry.covers("test.test_os.FileTestsExtra.test_access")
    assert not entry.covers("test.test_os")


def test_quick_tier_documents_each_selected_test():
    quick = regrtest.load_tier("quick")
    assert len(quick["tests"]) >= 25 and quick["timeout"] > 0
    with open(regrtest.TIERS_PATH, "rb") as f:
        raw = skiplist.tomllib.load(f)
    assert all(t.get("why") for t in raw["quick"]["tests"] + raw["variant"]["tests"])
    assert regrtest.load_tier("full")["tests"] == []
    # The variant tier is a part of the quick one.
    assert set(regrtest.load_tier("variant")["tests"]) < set(quick["tests"])
    # A summary may name every tier, and a hand-picked selection.
    summary_schema = manifest.load_schema()["$defs"]["regression_tests"]
    assert summary_schema["properties"]["tier"]["enum"] == [*regrtest.TIERS, "custom"]
    with pytest.raises(ArmpyError, match=r"unknown tier 'nightly' \(valid: quick, full, variant\)"):
        regrtest.load_tier("nightly")
