"""CPython's Windows projects (PCbuild/*.vcxproj) read as data from the pinned source."""
import os

import pytest

from armpy import pcbuild, winbuild
from armpy.errors import ArmpyError


@pytest.fixture(scope="module")
def props(cpython_source, tmp_path_factory):
    build = str(tmp_path_factory.mktemp("pcbuild"))
    zlib = str(tmp_path_factory.mktemp("zlib"))
    return winbuild.properties("3.13.15", build, {"zlibDir": zlib}) | {"build_dir": build}


def read(cpython_source, name, props):
    return pcbuild.read(os.path.join(cpython_source, "PCbuild"), name, props)


def test_pythoncore_sources_defines_and_libraries(cpython_source, props):
    core = read(cpython_source, "pythoncore", props)
    paths = {os.path.relpath(s.path, cpython_source) for s in core.sources}
    assert {"Python/ceval.c", "Objects/object.c", "Modules/getpath.c", "PC/dl_nt.c"} <= paths
    # zlib is compiled into python313.dll from its source folder, when one is given.
    assert any(p.startswith("../") and p.endswith("inflate.c") for p in paths)
    assert len(core.sources) > 200
    assert core.kind == "DynamicLibrary"
    assert {"Py_BUILD_CORE", "Py_ENABLE_SHARED", 'MS_DLL_ID="3.13-arm64"', "_Py_HAVE_ZLIB",
            "NDEBUG", 'PY3_DLLNAME=L"python3"'} <= set(core.defines)
    assert {"ws2_32", "pathcch", "bcrypt", "version"} <= set(core.libraries)
    getpath = next(s for s in core.sources if s.path.endswith("getpath.c"))
    assert 'PLATLIBDIR="DLLs"' in getpath.defines
    # The generated frozen modules' folder, from pyproject.props' property.
    assert getpath.includes == [os.path.join(props["Py_IntDir"], "313_frozen")]


def test_programs_link_settings(cpython_source, props):
    python = read(cpython_source, "python", props)
    pythonw = read(cpython_source, "pythonw", props)
    assert (python.kind, python.link["SubSystem"]) == ("Application", "Console")
    assert pythonw.link["SubSystem"] == "Windows"
    # The Release value, not the Debug or PGInstrument one that follows it.
    assert python.link["StackReserveSize"] == "2000000"


def test_resource_scripts_and_their_definitions(cpython_source, props):
    python = read(cpython_source, "python", props)
    assert [os.path.relpath(r, cpython_source) for r in python.resources] == ["PC/python_exe.rc"]
    # FIELD3 from the version (python.props computes it with property functions).
    assert "FIELD3=15150" in python.resource_defines
    assert os.path.join(cpython_source, "PC") in python.resource_includes
    launcher = read(cpython_source, "venvlauncher", props)
    assert "PY_ICON" in launcher.resource_defines


@pytest.mark.parametrize("version, expected", [("3.13.15", 15150), ("3.14.0rc1", 121),
                                               ("3.14.0a7", 107), ("3.13.0b2", 112)])
def test_file_version_third_field(version, expected):
    assert winbuild.field3(version) == expected


def test_a_version_it_cannot_number_is_one_line():
    with pytest.raises(ArmpyError, match="version 3.13 is not X.Y.Z"):
        winbuild.field3("3.13")


def test_frozen_modules_of_the_freezer_project(cpython_source, props):
    frozen = {name: source for name, source, _ in
              read(cpython_source, "_freeze_module", props).frozen}
    assert frozen["importlib._bootstrap"].endswith("Lib/importlib/_bootstrap.py")
    assert frozen["getpath"].endswith("Modules/getpath.py")


def test_imported_props_and_absent_externals(cpython_source, props):
    # libffi.props is imported by _ctypes.vcxproj: its include folder is named,
    # under the externals folder that was not given.
    ctypes = read(cpython_source, "_ctypes", props)
    assert "libffi-8" in ctypes.libraries
    build_dir = props["build_dir"]
    assert winbuild.missing_inputs(ctypes, build_dir).endswith("libffi-3.4.4/arm64/include")
    assert winbuild.missing_inputs(read(cpython_source, "select", props), build_dir) == ""


@pytest.mark.parametrize("condition, expected", [
    ("'$(Platform)' == 'arm64'", True),          # values compare without letter case
    ("$(Platform) != 'ARM64'", False),
    ("$(Unset) == ''", True),
    ("$(Flag)", True),
    ("!$(Flag) or $(Unset) == 'x'", False),
    ("'$(Platform)' == 'x64' and $(Flag)", False),
    ("!Exists('/no/such/file')", True),
    ("HasTrailingSlash('a\\')", True),
])
def test_conditions(condition, expected):
    assert pcbuild.evaluate(condition, {"Platform": "ARM64", "Flag": "true"}) is expected


def test_a_condition_it_cannot_read_is_one_line():
    with pytest.raises(ArmpyError, match="MSBuild condition not understood: .*StartsWith"):
        pcbuild.evaluate("$(PlatformToolset.StartsWith(`v14`))", {})
