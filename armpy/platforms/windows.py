"""Windows (arm64): PE binaries beside the interpreter, in python.org's layout.

CPython builds for Windows from its PCbuild projects (armpy/winbuild.py), not
with configure; python.exe finds Lib/ beside itself, so the tree needs no
relocation. There are no .pdb files yet: lld's name the build machine's paths.
"""
import os

import pefile

from ..sources import Upstream

# Every link gets what lld does by default for Windows: ASLR, high-entropy ASLR,
# DEP (NX) and Control Flow Guard metadata are the PE defaults checked by validation.
LINK_FLAGS = []
# lld writes a CodeView record (the .pdb's GUID) into every binary it links.
BINARY_ID_LDFLAGS = []
CMAKE_SYSTEM_NAME = "Windows"
# Unused: OpenSSL reads Windows' certificate store through ssl.create_default_context
# (enum_certificates); a fixed path below no user's folder, as python.org's build has.
OPENSSLDIR = "C:/Program Files/Common Files/SSL"
# Scripts are .exe launchers on Windows, not text files with a #! line.
SCRIPT_TRAMPOLINE = ""
# The stripped tree leaves out debug files (there are none yet: see winbuild.link).
DEBUG_INFO = ("*.pdb",)
# How CPython is built for this platform: from PCbuild's projects (armpy/winbuild.py).
CPYTHON_BUILD = "pcbuild"

# python.org's 3.13 ARM64 build's extension modules (DLLs/*.pyd, less its test
# modules) and those built into python313.dll, less those in UNBUILT_EXTENSIONS.
REQUIRED_EXTENSIONS = [
    "_asyncio", "_bz2", "_ctypes", "_decimal", "_elementtree", "_hashlib", "_lzma",
    "_multiprocessing", "_overlapped", "_queue", "_socket", "_sqlite3", "_ssl", "_uuid",
    "_wmi", "_zoneinfo", "pyexpat", "select", "unicodedata", "winsound",
    # Built in (PC/config.c).
    "_winapi", "msvcrt", "nt", "winreg", "mmap", "zlib", "_json", "array", "math",
]
UNBUILT_EXTENSIONS = {
    "_tkinter": "needs Tcl/Tk, which armpy does not build",
}
# Wheels the smoke test installs into a virtual environment of the archive, then the
# code it runs there and what that prints. Built by MSVC against python.org's 3.13 for
# win_arm64, they prove the same ABI: markupsafe's C module (_speedups) imports from
# python313.dll and vcruntime140.dll; numpy's modules, its own msvcp140 and OpenBLAS
# do too, and it solves a linear system (LAPACK), sums an FFT and raises a complex
# number to a power (the UCRT's cexp and cpow; Wine's are armpy/wine_ucrt.py's).
SMOKE_WHEELS = [
    {"wheel": Upstream("https://files.pythonhosted.org/packages/f0/3a/"
                       "fa34a0f7cfef23cf9500d68cb7c32dd64ffd58a12b09225fb03dd37d5b80/"
                       "markupsafe-3.0.3-cp313-cp313-win_arm64.whl",
                       sha256="7e68f88e5b8799aa49c85cd116c932a1ac15caaa3f5db09087854d218359e485",
                       size=13911),
     "code": "import markupsafe._speedups as s; print(s._escape_inner('<a&b>'))",
     "prints": "&lt;a&amp;b&gt;"},
    {"wheel": Upstream("https://files.pythonhosted.org/packages/ac/b0/"
                       "792631d03588912e948c1249c03a78ca9af0c548670f8fd63ea014cbc14a/"
                       "numpy-2.5.5-cp313-cp313-win_arm64.whl",
                       sha256="e0b87886bb45621d9279dad4ab9f2d154b5db0b019d378c107b8f71527b06a4a",
                       size=10528296),
     "code": "import numpy as np; x = np.linalg.solve([[3., 1.], [1., 2.]], [9., 8.]); "
             "f = np.fft.fft(np.arange(8.)); z = np.power(np.exp(1j * np.pi / 3), 3.0); "
             "print(x.round(9).tolist(), round(float(abs(f).sum()), 6), "
             "round(float(z.real), 9), abs(round(float(z.imag), 9)))",
     # 4 / sin(k pi / 8) is the magnitude of the FFT's k-th term, and e^(i pi) is -1.
     "prints": "[2.0, 3.0] 72.877854 -1.0 0.0"},
]


def layout(major_minor, abiflags=""):
    """python.org's layout: the interpreter at the root, Lib/ and DLLs/ beside it.
    (Windows builds no variants: targets.toml.)"""
    return {"python": "python.exe", "python3": "python.exe", "stdlib": "Lib",
            "extensions": "DLLs", "scripts": "Scripts", "license": "LICENSE.txt"}


def is_pe(path):
    with open(path, "rb") as f:
        return f.read(2) == b"MZ"


def binary_files(root):
    for dirpath, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            if name.lower().endswith((".exe", ".dll", ".pyd")) and is_pe(path):
                yield path


def needed_libraries(path):
    pe = pefile.PE(path, fast_load=True)
    pe.parse_data_directories(directories=[
        pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_IMPORT"]])
    return [entry.dll.decode() for entry in getattr(pe, "DIRECTORY_ENTRY_IMPORT", [])]


def after_install(install, layout, toolchain, path_names):
    """Nothing: python.exe finds everything beside itself, and the .pdb files already
    name build paths by their fixed names."""


def crt_features(install):
    return ["ucrt"]


def manifest_fields(toolchain):
    return {}
