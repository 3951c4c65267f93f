"""Rules for a whole distribution: PYTHON.json against the files, and no build paths.

`python_dir` is the archive's python/ directory (PYTHON.json, licenses/);
`install_root` is the interpreter's prefix: python/install/ in the full
layout, python/ itself in install_only. PYTHON.json's paths are written for
the full layout ("install/bin/python3.13").
"""
import glob
import os
import re

from .. import manifest, relocate, variants
from ..errors import ArmpyError
from .binaries import format_of
from .rules import Findings, Violation

# An absolute path in a build-configuration value: after a space, quote, '=', ':' or
# ',', possibly glued to a short flag (-I/path, -L/path).
ABSOLUTE_PATH_RE = re.compile(
    r"(?:(?<=[\s'\"=:,(])|^)(?:-[A-Za-z]{1,2})?(/[A-Za-z0-9_.+@-][^\s'\":;,()]*)")


def check(document, install_root, python_dir, rules, glibc_required="", build_paths=(),
          install_label="install"):
    """Violations, with paths as the archive shows them: install_label is what the
    install root is called there ("install" in the full layout, "" in install_only).
    glibc_required is the highest GLIBC version the binaries were found to need."""
    found = Findings("PYTHON.json")
    violation = found.add

    def label(path):
        inside = os.path.relpath(path, install_root)
        if inside.startswith(".."):
            return os.path.relpath(path, python_dir)
        return os.path.join(install_label, inside) if install_label else inside

    try:
        if "armpy" in document:
            manifest.validate(document)
        else:   # built by another tool: only the shared format applies
            manifest.validate_shared_fields(document)
    except ArmpyError as error:
        violation("manifest-schema", str(error))
        return found

    def resolve(path):
        if path == "install" or path.startswith("install/"):
            return os.path.join(install_root, path[len("install/"):])
        return os.path.join(python_dir, path)

    named = {"python_exe": document["python_exe"], "license_path": document["license_path"]}
    named |= {f"python_paths.{k}": v for k, v in document["python_paths"].items()}
    # Windows finds files whatever their letter case (sysconfig says Include, python.org's
    # installs have include).
    exists = exists_in_any_case if rules["target"].platform == "windows" else os.path.exists
    for field, path in sorted(named.items()):
        if not exists(resolve(path)):
            violation("manifest-paths", f"{field} names {path}, which does not exist")

    major_minor = document["python_major_minor_version"]
    nodot = major_minor.replace(".", "")
    if document["python_tag"] != f"cp{nodot}":
        violation("manifest-tags", f"python_tag {document['python_tag']} does not match "
                  f"Python {major_minor}")
    target = rules["target"]
    if document["python_platform_tag"] != target.sysconfig_platform:
        violation("manifest-tags", f"python_platform_tag {document['python_platform_tag']} is "
                  f"not {target.sysconfig_platform}, the tag of {document['target_triple']}")
    exe = resolve(document["python_exe"])
    if os.path.isfile(exe) and format_of(exe) != target.binary_format:
        violation("manifest-tags", f"python_exe is not an {target.binary_format.upper()} binary")

    suffix = target.extension_suffix.format(abi=nodot + (document["python_abi_tag"] or ""))
    declared = document["python_suffixes"]["extension"]
    if not declared or declared[0] != suffix:
        violation("manifest-tags", f"first extension suffix is {declared[:1]}, expected {suffix}")
    dynload = resolve(document["python_paths"].get("platstdlib", "")) + "/lib-dynload"
    modules = sorted(glob.glob(os.path.join(dynload, "*.so")) + glob.glob(
        os.path.join(dynload, "*.pyd")))
    for path in modules:
        if not path.endswith(suffix):
            found.append(Violation(label(path), "manifest-tags", f"extension module lacks the "
                                   f"suffix {suffix}"))

    claimed = [c.split(":", 1)[1] for c in document["crt_features"]
               if c.startswith("glibc-max-symbol-version:")]
    if claimed and claimed[0] != glibc_required:
        violation("manifest-glibc", f"crt_features says glibc-max-symbol-version:{claimed[0]}, "
                  f"but the binaries need {glibc_required or 'no versioned glibc symbol'}")

    found += build_path_violations(install_root, rules, build_paths, label)
    return found


def exists_in_any_case(path):
    return spelt_on_disk(path) is not None


def spelt_on_disk(path):
    """`path` as it is spelt on disk, each part matched in any letter case; or None."""
    if os.path.lexists(path):
        return path
    parent, name = os.path.split(path)
    if parent == path:
        return None
    parent = spelt_on_disk(parent)
    if parent is None or not os.path.isdir(parent):
        return None
    return next((os.path.join(parent, entry) for entry in os.listdir(parent)
                 if entry.lower() == name.lower()), None)


def build_path_violations(install_root, rules, build_paths, label):
    """Build configuration (sysconfig data, pkg-config, python-config) and scripts'
    #! lines may name only the configured prefix and system locations; any file
    naming a known build path (binaries and bytecode too) is reported as well. The Makefile is left to the
    second check: its recipes hold sed expressions and macOS framework defaults."""
    found = []
    allowed = tuple(rules["paths"]["allowed_roots"])
    try:
        config = [p for p in relocate.config_files(install_root,
                                                   *variants.of_install(install_root))
                  if os.path.basename(p) != "Makefile"]
    except ArmpyError:
        config = []
    scripts = [p for p in glob.glob(os.path.join(install_root, "bin", "*"))
               if os.path.isfile(p) and not os.path.islink(p) and format_of(p) is None]
    for path in config + scripts:
        with open(path, "rb") as f:
            text = f.read().decode(errors="replace")
        if path in scripts:
            text = text.split("\n", 1)[0] if text.startswith("#!") else ""
        foreign = sorted({p for p in ABSOLUTE_PATH_RE.findall(text)
                          if not (p + "/").startswith(allowed)})
        if foreign:
            found.append(Violation(label(path), "build-paths",
                                   f"names {len(foreign)} path(s) outside the install prefix "
                                   f"and system directories: {', '.join(foreign[:3])}"))
    if build_paths:
        for rel in relocate.files_mentioning(install_root, build_paths):
            path = label(os.path.join(install_root, rel))
            if not any(v.path == path for v in found):
                found.append(Violation(path, "build-paths", "names a build-machine path"))
    return found
