"""Print the benchmark figures of one regression-suite summary (<archive>.regrtest-<tier>.json)."""
import json
import sys

with open(sys.argv[1]) as f:
    s = json.load(f)
files, cases = s["test_files"], s["test_cases"]
runner = s["runner"]
print(f"tier {s['tier']}: {s['wall_time_seconds'] / 60:.1f} min wall, -j{s['jobs']}, "
      f"{runner['kind']}" + (f" ({runner['qemu']}, cpu {runner['qemu_cpu']})"
                             if runner["kind"] == "emulated" else ""))
print(f"  test files: {files['run']} run of {files['selected']} selected "
      f"({100 * files['run'] / max(files['selected'], 1):.1f}%); passed {files['passed']}, "
      f"failed {files['failed']}, expected failures {files['expected_failure']}, "
      f"flaky {files['flaky']}, env changed {files['env_changed']}, skipped {files['skipped']}, "
      f"resource denied {files['resource_denied']}, skipped by list {files['skipped_by_list']}, "
      f"ran no tests {files['run_no_tests']}")
print(f"  test cases: {cases['run']} run, {cases['passed']} passed, {cases['failed']} failed, "
      f"{cases['expected_failure']} expected failures, {cases['skipped']} skipped")
print("  skip list " + s["skip_list"] + ": " + ", ".join(
    f"{k} {v}" for k, v in s["skip_list_categories"].items()))
if s["unexpected_failures"]:
    print("  unexpected failures: " + ", ".join(s["unexpected_failures"]))
if s["stale_entries"]:
    print("  stale entries: " + ", ".join(s["stale_entries"]))
