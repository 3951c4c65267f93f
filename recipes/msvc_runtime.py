"""Microsoft's Visual C++ runtime for Windows arm64 (vcruntime140.dll).

armpy's own binaries use only the UCRT, which is part of Windows; extension modules
built by MSVC (PyPI's win_arm64 wheels) also import vcruntime140.dll, which Windows
does not ship. python.org's installer puts it beside python.exe; so does armpy.
The DLLs are Microsoft's redistributable files, as PyPI's msvc-runtime wheel has them.
"""
from armpy.sources import Upstream

VERSION = "14.51.36231"
LICENSE = "LicenseRef-MSVC-Runtime-Redistributable"
LICENSE_FILE = f"msvc_runtime-{VERSION}.dist-info/licenses/LICENSE"
DEPENDS = []
PLATFORMS = ("windows",)
# Debian has no copy of Microsoft's files; PyPI, which serves the wheel, is reachable
# wherever armpy's Python requirements install.
NO_DEBIAN = "Microsoft's redistributable files are not in Debian's archive"
SOURCES = [
    Upstream("https://files.pythonhosted.org/packages/e3/ab/"
             "c21892fbc87d39ebd9763759d1ee499f9938ab4ce4e49e089ea020e6aaab/"
             f"msvc_runtime-{VERSION}-cp313-cp313-win_arm64.whl",
             sha256="52f9fd6e089eac9d72607d3ac4ffebcd5f0d6f940fca83db8a9c12ca11b1c26c",
             size=3467851),
]
# What python.org's Windows installs for Arm have beside python.exe (vcruntime140_1.dll,
# the other DLL of x64 installs, serves x64's exception handling; the wheel's copy is x64).
DLLS = ["vcruntime140.dll"]


def build(b):
    b.install_files({f"msvc_runtime-{VERSION}.data/data/Scripts/{dll}": "bin" for dll in DLLS})
