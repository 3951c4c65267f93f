"""The UCRT's complex functions, which Wine lacks, for the Wine root only.

Windows' UCRT (ucrtbase.dll) implements C99's complex functions (cexp, cpow,
crealf…); Wine 10's ucrtbase exports them as stubs (upstream's too), so a program
that calls one is stopped ("Unimplemented function ucrtbase.dll.crealf"), as
numpy's win_arm64 wheel is when it is imported. The Wine root's prefix therefore
gets two DLLs, which never enter an artifact:

- ucrtwine.dll: Wine's own ucrtbase.dll, unchanged, under another name;
- ucrtbase.dll: forwards every export of Wine's to ucrtwine.dll, except the complex
  functions, which it implements with MinGW-w64's code (in zig's library), built
  with zig; its own calls into the C library go to ucrtwine.dll too.

Wine loads this ucrtbase.dll before its builtin one (`OVERRIDE`). Long double is
double on Windows on Arm, so each `…l` function is the double one.
"""
import hashlib
import os
import shutil
import subprocess
import tempfile

import pefile
import ziglang

from .errors import ArmpyError

# MinGW-w64's templates (complex/<name>.def.h), each made for float and double.
FUNCTIONS = ("cabs", "cacos", "cacosh", "carg", "casin", "casinh", "catan", "catanh",
             "ccos", "ccosh", "cexp", "cimag", "clog", "clog10", "conj", "cpow", "cproj",
             "creal", "csin", "csinh", "csqrt", "ctan", "ctanh")
TYPES = {"float": "_NEW_COMPLEX_FLOAT", "double": "_NEW_COMPLEX_DOUBLE"}
# The UCRT names hypotf _hypotf; MinGW's csqrtf, cabsf and clogf call hypotf.
SHIM = "float _hypotf(float, float);\nfloat hypotf(float x, float y) { return _hypotf(x, y); }\n"
WINE_COPY = "ucrtwine"
OVERRIDE = "ucrtbase=n,b"
TARGET = "aarch64-windows-gnu"
# zig (from the pinned ziglang package, as for every build) and its library.
ZIG = os.path.join(os.path.dirname(ziglang.__file__), "zig")
ZIG_LIB = os.path.join(os.path.dirname(ziglang.__file__), "lib")


def digest():
    """What the DLL is made from, for the root's stamp: this file."""
    with open(__file__, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


def implemented():
    """Every name the DLL implements itself."""
    return {name + suffix for name in FUNCTIONS for suffix in ("", "f", "l")}


def definitions(wine_exports):
    """The .def file of the DLL: ours, then each of Wine's forwarded to its copy."""
    ours = implemented()
    lines = ["LIBRARY ucrtbase.dll", "EXPORTS"]
    lines += [line for name in FUNCTIONS for line in (name, name + "f", f"{name}l={name}")]
    lines += [f"{name}={WINE_COPY}.{name}" for name in wine_exports if name not in ours]
    return "\n".join(lines) + "\n"


def exports(dll):
    pe = pefile.PE(dll, fast_load=True)
    try:
        pe.parse_data_directories(directories=[
            pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_EXPORT"]])
        return [s.name.decode() for s in pe.DIRECTORY_ENTRY_EXPORT.symbols if s.name]
    finally:
        pe.close()


def build(wine_ucrtbase, out):
    """Write the forwarding ucrtbase.dll for `wine_ucrtbase` (Wine's builtin) to `out`."""
    complex_dir = os.path.join(ZIG_LIB, "libc", "mingw", "complex")
    names = exports(wine_ucrtbase)
    with tempfile.TemporaryDirectory() as work:
        def write(name, text):
            path = os.path.join(work, name)
            with open(path, "w") as f:
                f.write(text)
            return path
        write(f"{WINE_COPY}.def", f"LIBRARY {WINE_COPY}.dll\nEXPORTS\n" + "\n".join(names) + "\n")
        # Listed first in the link, so the C library the code calls is Wine's copy's.
        library = os.path.join(work, f"{WINE_COPY}.lib")
        run([ZIG, "dlltool", "-m", "arm64", "-d", os.path.join(work, f"{WINE_COPY}.def"),
             "-l", library])
        units = [write(f"complex-{kind}.c", f"#define {macro} 1\n#include \"complex_internal.h\"\n"
                       + "".join(f'#include "{name}.def.h"\n' for name in FUNCTIONS))
                 for kind, macro in TYPES.items()]
        run([ZIG, "cc", "-target", TARGET, "-O2", "-shared", f"-I{complex_dir}", library,
             *units, write("shim.c", SHIM), write("ucrtbase.def", definitions(names)),
             "-o", os.path.join(work, "ucrtbase.dll")])
        shutil.copyfile(os.path.join(work, "ucrtbase.dll"), out + ".tmp")
    os.replace(out + ".tmp", out)


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise ArmpyError(f"the Wine root's ucrtbase.dll: zig {command[1]} failed: "
                         f"{(result.stderr.strip().splitlines() or ['no output'])[-1]}")


def install(wine_ucrtbase, system32):
    """Put Wine's copy and the forwarding DLL into a prefix's system32."""
    shutil.copyfile(wine_ucrtbase, os.path.join(system32, f"{WINE_COPY}.dll"))
    build(wine_ucrtbase, os.path.join(system32, "ucrtbase.dll"))
