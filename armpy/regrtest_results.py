"""Reading what regrtest reports: its closing summary and its JUnit XML.

regrtest's summary says how each test file ended (after the one re-run of
failures); the JUnit XML says how each test case ended. A test case seen
twice (first run, then re-run) keeps its last outcome, and whether it ever
failed is remembered, so a flaky case is told apart from a stale skip entry.
"""
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from .errors import ArmpyError
from .skiplist import qualified

# Titles of regrtest's closing lists ("3 tests failed:", "1 re-run test:") -> our names.
LIST_TITLES = {
    "omitted": "omitted",
    "skipped": "skipped",
    "skipped (resource denied)": "resource_denied",
    "run no tests": "run_no_tests",
    "altered the execution environment (env changed)": "env_changed",
    "re-run test": "rerun",
    "failed": "failed",
}
LIST_RE = re.compile(r"^\d+ (?:(re-run) tests?|tests? (.+)):$")
OK_RE = re.compile(r"^(?:All )?(\d+) tests? OK\.$")
PROGRESS_RE = re.compile(r"\[\s*\d+/\d+(?:/\d+)?\] (test\S*) (.+)$")
RESULT_RE = re.compile(r"^(?:== )?Tests? result: (.+?)(?: ==)?$")
# Printed in a test's output when regrtest's --timeout stops it (the worker then
# exits with status 1, which is all its progress line says).
TIMEOUT_RE = re.compile(r"Timeout \((\d+:\d\d:\d\d)\)!$")
# A list's names; a worker that failed outside any test file is "<regrtest worker>".
LIST_ITEM_RE = re.compile(r"<[^>]+>|\S+")


@dataclass
class Summary:
    lists: dict = field(default_factory=dict)    # our list name -> [test file names]
    details: dict = field(default_factory=dict)  # test file -> last progress text
    result: str = ""                             # e.g. "SUCCESS", "FAILURE then SUCCESS"


def parse_log(text):
    """The closing lists and per-file progress of a regrtest run's output."""
    summary = Summary(lists={name: [] for name in LIST_TITLES.values()})
    current = last_test = None
    for line in text.splitlines():
        progress = PROGRESS_RE.search(line)
        if progress:
            last_test = progress.group(1)
            # Drop the "-- running (1): other_test (30 sec)" tail about other workers.
            summary.details[last_test] = progress.group(2).split(" -- running")[0].strip()
            current = None
            continue
        timeout = TIMEOUT_RE.search(line)
        if timeout and last_test:
            summary.details[last_test] = f"timed out after {timeout.group(1)}, killed"
            continue
        heading = LIST_RE.match(line)
        if heading:
            kind = "re-run test" if heading.group(1) else heading.group(2)
            current = LIST_TITLES.get(kind)
            if current:
                summary.lists[current] = []
            continue
        if current and line.startswith("    "):
            summary.lists[current] += LIST_ITEM_RE.findall(line)
            continue
        current = None
        result = RESULT_RE.match(line.strip())
        if result:
            summary.result = result.group(1)
    if not summary.result:
        raise ArmpyError("regrtest ended without its closing summary (see its log)")
    return summary


def case_outcome(element):
    """passed, failed, skipped or expected-failure for one <testcase>."""
    tags = {child.tag for child in element}
    if tags & {"failure", "error"}:
        return "failed"
    if "skipped" in tags:
        return "skipped"
    if "output" in tags:      # unittest's @expectedFailure, which did fail
        return "expected-failure"
    return "passed"


CLASS_FIXTURE_RE = re.compile(r"^\w+ \((.+)\)$")   # "setUpClass (test.test_x.Case)"


def parse_junit(path):
    """(final outcome per test case id, ids that failed in any attempt)."""
    try:
        root = ET.parse(path).getroot()
    except FileNotFoundError:
        return {}, set()
    except ET.ParseError as error:
        raise ArmpyError(f"{path}: unreadable JUnit XML ({error})") from None
    final, ever_failed = {}, set()
    for case in root.iter("testcase"):
        name = case.get("name", "")
        fixture = CLASS_FIXTURE_RE.match(name)
        test_id = fixture.group(1) if fixture else name
        outcome = case_outcome(case)
        final[test_id] = outcome
        if outcome == "failed":
            ever_failed.add(test_id)
    return final, ever_failed


def file_index(file_names):
    """Map qualified names (test.test_os) to regrtest's names (test_os) for file_of()."""
    return {qualified(name): name for name in file_names}


def file_of(test_id, index):
    """The test file (as regrtest names it) that a test case id belongs to, or None."""
    parts = test_id.split(".")
    for end in range(len(parts), 0, -1):
        name = index.get(".".join(parts[:end]))
        if name:
            return name
    return None
