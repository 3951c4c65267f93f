"""Run CPython's own regression suite on a packaged artifact, the way users get it.

    python -m armpy.regrtest ARCHIVE [--tier quick|full|variant] [--jobs N] [--output-dir DIR]

The archive is checked (armpy's, whole, with a valid PYTHON.json), extracted
into a fresh directory whose path contains a space, and `python -m test` runs
from there: natively on an Arm host of the target's system, elsewhere through
qemu-user (binfmt_misc) or, for Windows, Wine. Failures listed in the skip list
for this target, version and runner kind are expected; any other failure fails
the run. The summary JSON is written only when the run completes, next to the
archive unless told otherwise.
Exit status: 0 all as expected, 1 unexpected failures, 2 bad input.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from . import artifact as artifacts
from . import builder, manifest, package, platforms, recipes, regrtest_results, runner, skiplist
from .errors import ArmpyError
from .targets import TARGETS

TIERS_PATH = os.path.join(recipes.ROOT, "regrtest", "tiers.toml")
TIERS = ("quick", "full", "variant")     # the tables of regrtest/tiers.toml
SUMMARY_VERSION = 1


def load_tier(name):
    if name not in TIERS:
        raise ArmpyError(f"unknown tier '{name}' (valid: {', '.join(TIERS)})")
    with open(TIERS_PATH, "rb") as f:
        tier = skiplist.tomllib.load(f)[name]
    return {"timeout": int(tier["timeout"]), "resources": tier["resources"],
            "tests": [t["name"] for t in tier.get("tests", [])]}


def summary_path(archive, tier, output_dir=None):
    name = os.path.basename(archive)
    for suffix in (".tar.gz", ".tar.zst", ".tgz", ".tar"):
        if name.endswith(suffix):
            name = name[:-len(suffix)]
            break
    return os.path.join(output_dir or os.path.dirname(os.path.abspath(archive)),
                        f"{name}.regrtest-{tier}.json")


def is_test_file(stdlib, name):
    """True if `name` is a whole test file (module or package) here, not a case inside one."""
    path = os.path.join(stdlib, *skiplist.qualified(name).split("."))
    return os.path.isfile(path + ".py") or os.path.isfile(os.path.join(path, "__init__.py"))


# How regrtest is started: `python -m test`, and under Wine as below.
ENTRY = ("-m", "test")
# `python -m test` under Wine. regrtest on Windows samples the system load through
# the registry's performance data, which Wine does not provide (QueryInfoKey on
# HKEY_PERFORMANCE_DATA: "[WinError 6] Invalid handle"), and it stops if that
# fails for any reason but a denied permission. Here it fails as denied, so
# regrtest warns and runs without the load figures; the tests are unchanged.
WINE_ENTRY = ["-c", "from test.libregrtest import logger\n"
                    "def no_load_data(): raise PermissionError('no performance data under Wine')\n"
                    "logger.WindowsLoadTracker = no_load_data\n"
                    "from test.libregrtest.main import main\n"
                    "main(_add_python_opts=True)\n"]


def command(python, tier, entries, stdlib, jobs, junit, tempdir, ignorefile, entry=ENTRY):
    """The regrtest command line (`python` `entry` and regrtest's options), the selected
    files the skip list excludes, and the selected files this CPython version does not have."""
    file_skips = [e.test for e in entries if e.mode == "skip" and is_test_file(stdlib, e.test)]
    with open(ignorefile, "w") as f:
        f.writelines(f"{e.test}\n" for e in entries
                     if e.mode == "skip" and e.test not in file_skips)
    args = [python, *entry, "-j", str(jobs), "--timeout", str(tier["timeout"]),
            "--rerun", "-u", tier["resources"], "--junit-xml", junit, "--tempdir", tempdir,
            "--ignorefile", ignorefile]
    if not tier["tests"]:
        return args + (["-x"] + [skiplist.short(t) for t in file_skips] if file_skips else []), \
            file_skips, []
    missing, skipped = [], []
    for name in map(skiplist.qualified, tier["tests"]):
        if not is_test_file(stdlib, name):
            missing.append(skiplist.short(name))
        elif name in file_skips:
            skipped.append(name)
        else:
            args.append(skiplist.short(name))
    return args, skipped, missing


def run_suite(args, env, log_path, run_dirs):
    """Run regrtest in its own process group; on interrupt, stop all of it and re-raise."""
    with open(log_path, "w") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)
        try:
            return process.wait()
        except BaseException:
            runner.stop_process_tree(process, run_dirs)
            raise


def classify(summary, cases, ever_failed, entries, file_skips):
    """Per-file outcomes, counts, unexpected failures and stale entries."""
    lists = summary.lists
    names = set(summary.details) | {n for group in lists.values() for n in group}
    index = regrtest_results.file_index(names)
    failing_by_file = {}
    for test_id, outcome in cases.items():
        if outcome == "failed":
            failing_by_file.setdefault(regrtest_results.file_of(test_id, index), []).append(test_id)
    expected = [e for e in entries if e.mode == "fail"]

    def entry_for(test_id):
        return next((e for e in expected if e.covers(test_id)), None)

    outcomes, unexpected = {}, []
    flaky = set(lists["rerun"]) - set(lists["failed"])
    for name in sorted(names):
        record = {"detail": summary.details.get(name, "")}
        if name in lists["failed"]:
            failing = sorted(failing_by_file.get(name, []))
            whole = entry_for(skiplist.qualified(name))
            uncovered = [] if whole else [t for t in failing if not entry_for(t)]
            if whole or (failing and not uncovered):
                record["outcome"] = "expected-failure"
            else:
                record["outcome"] = "failed"
                unexpected += uncovered or [name]
            record["failing"] = failing
        elif name in flaky:
            record["outcome"] = "flaky"
        else:
            for outcome, key in (("skipped", "skipped"), ("resource-denied", "resource_denied"),
                                 ("run-no-tests", "run_no_tests"), ("env-changed", "env_changed"),
                                 ("omitted", "omitted")):
                if name in lists[key]:
                    record["outcome"] = outcome
                    break
            else:
                record["outcome"] = "passed"
        outcomes[name] = record
    for test in file_skips:
        outcomes[skiplist.short(test)] = {"outcome": "skipped-by-list", "detail": ""}

    stale = []
    for entry in expected:
        covered = [t for t in cases if entry.covers(t)]
        ran = [t for t in covered if cases[t] in ("passed", "failed")]
        if ran and not any(t in ever_failed for t in covered):
            stale.append(entry.test)
        whole = outcomes.get(skiplist.short(entry.test))
        if not covered and whole and whole["outcome"] in ("passed", "flaky"):
            stale.append(entry.test)

    file_counts = dict.fromkeys(
        ["selected", "run", "passed", "failed", "flaky", "expected_failure", "skipped",
         "resource_denied", "skipped_by_list", "run_no_tests", "env_changed", "omitted"], 0)
    for record in outcomes.values():
        file_counts[record["outcome"].replace("-", "_")] += 1
    file_counts["selected"] = len(outcomes)
    file_counts["run"] = sum(file_counts[k] for k in
                             ("passed", "failed", "flaky", "expected_failure", "env_changed"))
    case_counts = dict.fromkeys(["run", "passed", "failed", "skipped", "expected_failure"], 0)
    for test_id, outcome in cases.items():
        if outcome == "failed" and entry_for(test_id):
            outcome = "expected-failure"
        case_counts[outcome.replace("-", "_")] += 1
    case_counts["run"] = len(cases) - case_counts["skipped"]
    return {"test_files": file_counts, "test_cases": case_counts, "outcomes": outcomes,
            "unexpected_failures": sorted(unexpected), "stale_entries": sorted(stale)}


def run(archive, tier_name="quick", jobs=None, output_dir=None, skip_file=None,
        workdir=None, covers=None, tests=None, timeout=None, log=print):
    """Test `archive`; write and return the summary. Raises ArmpyError on bad input.

    `tests` replaces the tier's selection (the result is then labelled "custom");
    `timeout` replaces its per-file timeout.
    """
    tier = load_tier(tier_name)
    if tests:
        tier_name = "custom"    # a hand-picked selection must not pass for a tier's result
        tier["tests"] = list(tests)
    if timeout:
        tier["timeout"] = timeout
    art = artifacts.inspect(archive)
    doc = art.manifest
    target = TARGETS.get(doc["target_triple"])
    if target is None:
        raise ArmpyError(f"{archive}: target {doc['target_triple']} is not one this project "
                         f"tests (valid: {', '.join(TARGETS)})")
    how = runner.detect(target)
    major_minor = doc["python_major_minor_version"]
    skip_file = skip_file or skiplist.path_for(target.triple, major_minor, how["kind"],
                                               doc["python_abi_tag"] or "")
    entries = skiplist.load(skip_file)
    jobs = jobs or os.cpu_count() or 1
    out_path = summary_path(archive, tier_name, output_dir)
    if os.path.exists(out_path):
        os.remove(out_path)     # an old summary must not pass for this run's

    os.makedirs(workdir or tempfile.gettempdir(), exist_ok=True)
    # The archive goes under a path with a space, as users' paths may have; the
    # tests' own scratch space does not (some tests write unquoted shell scripts).
    root = tempfile.mkdtemp(prefix="regrtest run ", dir=workdir)
    home = tempfile.mkdtemp(prefix="regrtest-home-", dir=workdir)
    try:
        python = artifacts.extract(art, os.path.join(root, "extracted"))
        stdlib = os.path.join(art.install_root(os.path.join(root, "extracted")),
                              platforms.layout_of(target, doc)["stdlib"])
        os.makedirs(os.path.join(home, "tmp"))
        junit = os.path.join(root, "junit.xml")
        args, file_skips, missing = command(
            python, tier, entries, stdlib, jobs, junit, os.path.join(home, "tmp"),
            os.path.join(root, "ignore.txt"),
            entry=WINE_ENTRY if how["kind"] == "wine" else ENTRY)
        log(f"armpy: regrtest {tier_name}: {os.path.basename(archive)} "
            f"({how['kind']}, -j{jobs}, skip list {os.path.relpath(skip_file, recipes.ROOT)})")
        started = time.monotonic()
        log_path = out_path[:-len(".json")] + ".log"
        returncode = run_suite(runner.command(target, args, binds=[root, home]),
                               runner.environment(home, how), log_path, [root, home])
        wall = round(time.monotonic() - started, 1)
        with open(log_path, errors="replace") as f:
            summary = regrtest_results.parse_log(f.read())
        cases, ever_failed = regrtest_results.parse_junit(junit)
        result = classify(summary, cases, ever_failed, entries, file_skips)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)

    for name in missing:
        result["outcomes"][name] = {"outcome": "not-in-version", "detail": ""}
    document = {
        "summary_version": SUMMARY_VERSION,
        "archive": os.path.basename(archive),
        "artifacts": sorted(covers or [os.path.basename(archive)]),
        "tier": tier_name,
        "python_version": doc["python_version"],
        "target_triple": doc["target_triple"],
        "runner": how,
        "jobs": jobs,
        "timeout_per_test_file": tier["timeout"],
        "resources": tier["resources"],
        "regrtest_command": ["python"] + [a.replace(root, "<run>").replace(home, "<scratch>")
                                          for a in args[1:]],
        "regrtest_result": summary.result,
        "regrtest_exit_status": returncode,
        "skip_list": os.path.relpath(os.path.abspath(skip_file), recipes.ROOT),
        "skip_list_categories": skiplist.category_sizes(entries),
        "wall_time_seconds": wall,
        **result,
        "passed": not result["unexpected_failures"],
    }
    manifest.validate_regression_summary(document)
    builder.write_json(out_path, document)
    log(describe(document) + f" -> {out_path}")
    return document


def describe(document):
    files, cases = document["test_files"], document["test_cases"]
    text = (f"armpy: regrtest {document['tier']}: {files['run']}/{files['selected']} test files "
            f"run, {files['failed']} failed, {files['expected_failure']} expected failures, "
            f"{files['flaky']} flaky; {cases['run']} cases run, {cases['skipped']} skipped; "
            f"{document['wall_time_seconds']:.0f} s")
    if document["stale_entries"]:
        text += f"; stale skip entries: {', '.join(document['stale_entries'])}"
    return text


def failure_message(document):
    names = document["unexpected_failures"]
    return (f"regression suite ({document['tier']}) on {document['archive']}: "
            f"{len(names)} unexpected failure{'s' if len(names) != 1 else ''}: "
            f"{', '.join(names[:20])}{' …' if len(names) > 20 else ''}")


def _interrupted(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m armpy.regrtest", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archive", help="a -full.tar.zst or -install_only.tar.gz made by armpy")
    parser.add_argument("--tier", default="quick", help=f"one of {', '.join(TIERS)} (default quick)")
    parser.add_argument("--jobs", type=int, help="parallel test processes (default: cores)")
    parser.add_argument("--output-dir", help="where the summary goes (default: next to archive)")
    parser.add_argument("--skip-list", help="skip-list file (default: by target/version/runner)")
    parser.add_argument("--workdir", help="where the archive is extracted (default: temp dir)")
    parser.add_argument("--test", action="append", dest="tests", metavar="NAME",
                        help="run only this test file (repeatable), e.g. test_ssl")
    parser.add_argument("--timeout", type=int, help="seconds per test file (default: the tier's)")
    ns = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupted)   # stop the suite's processes on `kill` too
    try:
        document = run(ns.archive, ns.tier, ns.jobs, ns.output_dir, ns.skip_list, ns.workdir,
                       tests=ns.tests, timeout=ns.timeout)
    except ArmpyError as error:
        print(f"armpy: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("armpy: interrupted; no summary written", file=sys.stderr)
        return 130
    # A published archive's SHA256SUMS entry follows this run's result: a failure
    # withdraws it, a whole tier passing lists it (a hand-picked selection cannot).
    # Its SBOM, where it has one beside it, goes with it.
    dist_dir, name = os.path.split(os.path.abspath(ns.archive))
    names = [n for n in (name, name + package.SBOM_SUFFIX)
             if os.path.exists(os.path.join(dist_dir, n))]
    if os.path.exists(os.path.join(dist_dir, package.SHA256SUMS)):
        if not document["passed"]:
            package.update_sha256sums(dist_dir, withdrawn=names)
        elif document["tier"] != "custom":
            package.update_sha256sums(dist_dir, releasable=names)
    if not document["passed"]:
        print(f"armpy: error: {failure_message(document)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
