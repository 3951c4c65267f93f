"""Windows arm64 programs under Wine here (armpy/wine.py): real zig-built programs,
one with threads, files and an exit status, run from a path with a space, and one
calling the UCRT's complex functions, which the root's ucrtbase.dll supplies."""
import os
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


COMPLEX_PROGRAM = r"""
#include <complex.h>
#include <stdio.h>
int main(void) {
    volatile double _Complex z = 0.5 + 1.25 * I, w = -1.5 + 0.75 * I;
    volatile float _Complex zf = 3.0f + 4.0f * I;
    double _Complex r[] = {cexp(z), cpow(z, w), csqrt(w), clog(w), ctan(z), casinh(w)};
    for (int i = 0; i < 6; i++)
        printf("%.17g %.17g\n", creal(r[i]), cimag(r[i]));
    printf("%.9g %.9g %.9g\n", crealf(zf), cimagf(zf), cabsf(zf));
    return 0;
}
"""


def test_the_ucrts_complex_functions_work_under_wine(wine_root_dir, tmp_path):
    # Wine's ucrtbase has them as stubs; the root's forwarding DLL implements them
    # (armpy/wine_ucrt.py). numpy's win_arm64 wheel calls them when imported.
    import cmath
    (tmp_path / "complex.c").write_text(COMPLEX_PROGRAM)
    exe = tmp_path / "complex.exe"
    zig_compile(str(tmp_path / "complex.c"), str(exe))
    result = wine.run_program(wine_root_dir, str(exe), binds=[str(tmp_path)], timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    *doubles, floats = result.stdout.split("\n")[:7]
    z, w = 0.5 + 1.25j, -1.5 + 0.75j
    expected = [cmath.exp(z), z ** w, cmath.sqrt(w), cmath.log(w), cmath.tan(z), cmath.asinh(w)]
    for line, value in zip(doubles, expected, strict=True):
        real, imag = map(float, line.split())
        assert abs(complex(real, imag) - value) <= 1e-14 * abs(value), (line, value)
    assert floats.split() == ["3", "4", "5"]


def test_the_forwarding_ucrtbase_keeps_every_export_of_wines(wine_root_dir):
    import pefile
    from armpy import wine_ucrt
    system32 = os.path.join(wine.root_of(wine_root_dir), wine.SYSTEM32)
    wines = wine_ucrt.exports(os.path.join(system32, "ucrtwine.dll"))
    pe = pefile.PE(os.path.join(system32, "ucrtbase.dll"))
    symbols = {s.name.decode(): s.forwarder for s in pe.DIRECTORY_ENTRY_EXPORT.symbols}
    assert set(symbols) == set(wines) | wine_ucrt.implemented()
    assert {name for name, to in symbols.items() if to is None} == wine_ucrt.implemented()
    assert all(to == f"ucrtwine.{name}".encode() for name, to in symbols.items() if to)


HANGING_PROGRAM = r"""
#include <string.h>
#include <windows.h>
int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "now") == 0)
        return 5;
    if (argc == 1) {  /* a child, a copy of itself, that also waits for ever */
        char self[MAX_PATH], line[MAX_PATH + 16];
        STARTUPINFOA startup = {sizeof startup};
        PROCESS_INFORMATION child;
        GetModuleFileNameA(NULL, self, sizeof self);
        wsprintfA(line, "\"%s\" child", self);
        if (!CreateProcessA(self, line, NULL, NULL, FALSE, 0, NULL, NULL, &startup, &child))
            return 3;
    }
    Sleep(INFINITE);
    return 0;
}
"""


def test_a_hung_session_is_stopped_whole_and_frees_the_root(wine_root_dir, tmp_path):
    (tmp_path / "hang.c").write_text(HANGING_PROGRAM)
    exe = tmp_path / "hang.exe"
    zig_compile(str(tmp_path / "hang.c"), str(exe))
    with pytest.raises(wine.SessionHung) as hung:
        wine.run_program(wine_root_dir, str(exe), binds=[str(tmp_path)], timeout=30)
    # Both programs were running when it was stopped, and none is left.
    assert {"hang.exe", "hang.exe child"} <= set(hung.value.programs), hung.value
    markers = [os.fsencode(form) for form in (str(tmp_path), wine.windows_path(str(tmp_path)))]
    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if any(marker in cmdline for marker in markers):
            left.append(cmdline)
    assert left == []
    # The root's session lock is free: the next session runs at once.
    result = wine.run_program(wine_root_dir, str(exe), ["now"], binds=[str(tmp_path)],
                              timeout=60)
    assert result.returncode == 5, result.stderr[-2000:]
