"""PYTHON.json: the artifact's manifest, in the established version-8 layout plus an
`armpy` block, validated against schema/PYTHON.json.schema.json."""
import json
import os
import platform

from . import optimizations, platforms, recipes
from .errors import ArmpyError

SCHEMA_PATH = os.path.join(recipes.ROOT, "schema", "PYTHON.json.schema.json")
FORMAT_VERSION = "8"
ARMPY_SCHEMA_VERSION = 1
TEST_PACKAGE_NAMES = ("test", "tests", "idle_test")
CONFIGURED_PREFIX = "/install"   # CPython's --prefix; the archives' python/install/


def relative_paths(paths, prefix, base="install"):
    """sysconfig paths of the interpreter, relative to the archive's python/ directory."""
    out = {}
    for key, value in sorted(paths.items()):
        if value == prefix or value.startswith(prefix + "/"):
            out[key] = base + value[len(prefix):]
    return out


def stdlib_test_packages(stdlib_dir):
    found = []
    for dirpath, dirnames, _files in os.walk(stdlib_dir):
        rel = os.path.relpath(dirpath, stdlib_dir)
        if rel.startswith("site-packages"):
            dirnames[:] = []
            continue
        if os.path.basename(dirpath) in TEST_PACKAGE_NAMES and \
                os.path.exists(os.path.join(dirpath, "__init__.py")):
            found.append(rel.replace(os.sep, "."))
            dirnames[:] = []
    return sorted(found)


def configured_vars(facts):
    """sysconfig variables as configured (--prefix=/install), not where this machine
    staged the tree; `projectbase` is computed at run time from the executable (the
    folder holding it: bin/, or the prefix itself on Windows)."""
    values = {key: value.replace(facts["prefix"], CONFIGURED_PREFIX)
              for key, value in facts["config_vars"].items()}
    if not values.get("projectbase", "").startswith(CONFIGURED_PREFIX):
        values["projectbase"] = f"{CONFIGURED_PREFIX}/bin"
    return values


def recorded_toolchain(toolchain):
    """The toolchain by program names, not where this machine keeps the programs."""
    described = toolchain.describe()
    for key in ("cc", "ar"):
        program, *arguments = described[key].split()
        described[key] = " ".join([os.path.basename(program), *arguments])
    return described


def build(*, facts, install, opts, toolchain, components, cpython_meta):
    """Assemble the manifest from the build's facts (build_facts.py) and its records."""
    major_minor = ".".join(facts["version"][:2])
    platform_module = platforms.of(opts.target)
    layout = platform_module.layout(major_minor, facts["abiflags"] or "")
    python_exe = f"install/{layout['python']}"
    # What the build tree showed, not what was asked for (the build stops on a mismatch).
    found = optimizations.build_options_of(cpython_meta["optimizations"])
    stdlib = os.path.join(install, layout["stdlib"])
    licenses = sorted({part.strip() for c in components + [cpython_meta]
                       for part in c["license"].replace("(", "").replace(")", "").split(" AND ")})
    return {
        "version": FORMAT_VERSION,
        "target_triple": opts.target.triple,
        "optimizations": found.removeprefix("freethreaded+"),
        "build_options": found,
    } | interpreter_fields(facts) | {
        "python_exe": python_exe,
        "python_stdlib_test_packages": stdlib_test_packages(stdlib),
        "python_symbol_visibility": "global-default",
        "python_extension_module_loading": ["builtin", "shared-library"],
        "libpython_link_mode": "static",
        "crt_features": platform_module.crt_features(install),
        "licenses": licenses,
        "license_path": "licenses/LICENSE.cpython.txt",
        "armpy": {
            "schema_version": ARMPY_SCHEMA_VERSION,
            "toolchain": recorded_toolchain(toolchain),
            "build_host": {"machine": platform.machine(), "system": platform.system(),
                           "release": platform.release()},
            "build_tag": opts.build_tag,
            "configure_args": cpython_meta["configure_args"],
            "optimizations": cpython_meta["optimizations"],
            "components": sorted([component_entry(m) for m in [cpython_meta] + components],
                                 key=lambda c: c["name"]),
            "builtin_modules": facts["builtin_modules"],
            "unbuilt_extensions": dict(sorted(platform_module.UNBUILT_EXTENSIONS.items())),
        },
    } | platform_module.manifest_fields(toolchain)


def interpreter_fields(facts):
    """The fields that state what the interpreter itself would say (sys, sysconfig,
    importlib): computed at build time, compared with the live interpreter where it runs."""
    major_minor = ".".join(facts["version"][:2])
    return {
        "python_tag": "cp" + "".join(facts["version"][:2]),
        "python_abi_tag": facts["abiflags"],
        "python_platform_tag": facts["platform"],
        "python_implementation_cache_tag": facts["cache_tag"],
        "python_implementation_hex_version": facts["hexversion"],
        "python_implementation_name": facts["name"],
        "python_implementation_version": facts["version"],
        "python_version": ".".join(facts["version"][:3]),
        "python_major_minor_version": major_minor,
        "python_paths": relative_paths(facts["paths"], facts["prefix"]),
        "python_paths_abstract": facts["paths_abstract"],
        "python_config_vars": configured_vars(facts),
        "python_suffixes": {
            "bytecode": facts["suffixes"]["bytecode"],
            "debug_bytecode": facts["suffixes"]["bytecode"],
            "optimized_bytecode": facts["suffixes"]["bytecode"],
            "extension": facts["suffixes"]["extension"],
            "source": facts["suffixes"]["source"],
        },
        "python_bytecode_magic_number": facts["magic"],
    }


def disagreements(document, facts):
    """Fields of `document` that the live interpreter's `facts` contradict, with both
    values (config variables one by one)."""
    found = {}
    live = interpreter_fields(facts) | {"builtin_modules": facts["builtin_modules"]}
    recorded = {key: document[key] for key in live if key in document}
    recorded["builtin_modules"] = document["armpy"]["builtin_modules"]
    for key, value in live.items():
        if key == "python_config_vars":
            names = sorted(set(value) | set(recorded[key]))
            found |= {f"{key}.{n}": (recorded[key].get(n), value.get(n)) for n in names
                      if recorded[key].get(n) != value.get(n)}
        elif recorded.get(key) != value:
            found[key] = (recorded.get(key), value)
    return found


# What a component's build stamp holds that describes the build tree, not the
# distribution: the digest of its installed files (pkg-config files naming the
# build tree, static libraries' member times) differs between build directories.
BUILD_TREE_ONLY = ("optimizations", "installed_sha256")


def component_entry(meta):
    return {k: v for k, v in meta.items() if k not in BUILD_TREE_ONLY}


def load_schema():
    with open(SCHEMA_PATH) as f:
        return json.load(f)


def _first_violation(schema, document, label):
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        raise ArmpyError(f"{label} violates its schema at {where}: {first.message}"
                         + (f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""))


def validate(document):
    """Raise ArmpyError naming the first schema violation."""
    _first_violation(load_schema(), document, "PYTHON.json")


def validate_shared_fields(document):
    """For a PYTHON.json written by another tool: the shared fields, without our block."""
    schema = load_schema()
    schema["required"] = [name for name in schema["required"] if name != "armpy"]
    _first_violation(schema, document, "PYTHON.json")


def validate_regression_summary(document):
    """The summary file follows the same definition as armpy.regression_tests."""
    schema = load_schema()
    _first_violation({"$defs": schema["$defs"], "$ref": "#/$defs/regression_tests"},
                     document, "regression-test summary")


def dumps(document):
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
