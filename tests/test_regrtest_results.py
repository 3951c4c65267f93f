"""Reading regrtest's closing summary, on what regrtest printed in real runs."""
from armpy import regrtest_results

# The end of the quick tier under Wine (aarch64-pc-windows-msvc, 2026-11-23): a worker
# process crashed outside any test file, and regrtest names it "<regrtest worker>".
WORKER_CRASH = """\
== Tests result: FAILURE, WORKER BUG then FAILURE, WORKER BUG ==

1 test skipped:
    test_readline

9 re-run tests:
    <regrtest worker> test_ctypes test_os test_posix test_socket
    test_ssl test_subprocess test_sysconfig test_venv

9 tests failed:
    <regrtest worker> test_ctypes test_os test_posix test_socket
    test_ssl test_subprocess test_sysconfig test_venv

18 tests OK.

Total duration: 26 min 21 sec
Total tests: run=4,811 failures=2 skipped=403
Total test files: run=37/29 failed=9 skipped=1 rerun=9
Result: FAILURE, WORKER BUG then FAILURE, WORKER BUG
"""


def test_a_crashed_worker_is_one_name():
    summary = regrtest_results.parse_log(WORKER_CRASH)
    assert summary.lists["failed"][:2] == ["<regrtest worker>", "test_ctypes"]
    assert len(summary.lists["failed"]) == len(summary.lists["rerun"]) == 9
    assert summary.lists["skipped"] == ["test_readline"]
    assert summary.result == "FAILURE, WORKER BUG then FAILURE, WORKER BUG"
