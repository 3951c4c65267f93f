"""Windows arm64 programs under Wine here (armpy/wine.py): a real zig-built program
with threads, files and an exit status, run from a path with a space."""
import subprocess
import sys

import pytest

from armpy import wine
from conftest import ROOT

pytestmark = pytest.mark.build

PROGRAM = r"""
#include <stdio.h>
#include <windows.h>
static DWORD WINAPI worker(LPVOID arg) { *(int *)arg = 42; return 0; }
int main(int argc, char **argv) {
    int value = 0;
    HANDLE thread = CreateThread(NULL, 0, worker, &value, 0, NULL);
    WaitForSingleObject(thread, INFINITE);
    FILE *f = fopen(argv[1], "w");
    fprintf(f, "thread said %d\n", value);
    fclose(f);
    return 7;
}
"""


@pytest.fixture(scope="module")
def wine_root_dir():
    wine.setup(wine.DEFAULT_ROOT_DIR)
    return wine.DEFAULT_ROOT_DIR


def zig_compile(source, out):
    from toolchains.zig import zig_program
    subprocess.run([zig_program(), "cc", "-target", "aarch64-windows-gnu", "-O2", source,
                    "-o", out], check=True, capture_output=True)


def test_a_windows_arm64_program_runs_under_wine(wine_root_dir, tmp_path):
    folder = tmp_path / "with space"
    folder.mkdir()
    (folder / "probe.c").write_text(PROGRAM)
    exe = folder / "probe.exe"
    zig_compile(str(folder / "probe.c"), str(exe))
    with open(exe, "rb") as f:
        assert f.read(2) == b"MZ"
    result = wine.run_program(wine_root_dir, str(exe), [str(folder / "out.txt")],
                              binds=[str(folder)], timeout=300)
    assert result.returncode == 7, result.stderr[-2000:]
    assert (folder / "out.txt").read_text() == "thread said 42\n"


def test_a_missing_root_is_one_line_naming_the_setup_command(tmp_path):
    result = subprocess.run([sys.executable, "-m", "armpy.wine", "run", str(tmp_path / "none"),
                             str(tmp_path / "x.exe")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "./run wine-setup" in result.stderr
