"""What a CPython build actually did to optimise, read from its build tree.

The manifest's `build_options` and `optimizations` are computed from these
findings, not copied from the request: a build that asked for LTO and got
none (as when configure does not recognise the compiler) stops here.
"""
import os
import re

from .errors import ArmpyError

# LLVM bitcode, bare or in its wrapper: what clang writes for -flto objects.
BITCODE_MAGICS = (b"BC\xc0\xde", b"\xde\xc0\x17\x0b")
GCC_LTO_SECTION = b".gnu.lto_"


def makefile_vars(srcdir, names):
    """Selected NAME= values of the build's Makefile, unexpanded."""
    found = {}
    with open(os.path.join(srcdir, "Makefile")) as f:
        for line in f:
            match = re.match(r"^(\w+)\s*=\s*(.*)$", line)
            if match and match.group(1) in names:
                found[match.group(1)] = match.group(2).strip()
    return found


def given_vars(make_args):
    """{NAME: value} of make's NAME=value arguments (the last wins, as in make)."""
    return dict(arg.split("=", 1) for arg in make_args if "=" in arg)


def with_words_added(make_args, srcdir, additions):
    """make_args with {variable: words} appended to each variable's value: the one
    make_args already gives it, or else the Makefile's."""
    given = given_vars(make_args)
    current = makefile_vars(srcdir, set(additions) - set(given)) | given
    kept = [arg for arg in make_args if arg.split("=", 1)[0] not in additions]
    return kept + [f"{name}={' '.join([current.get(name, ''), *words]).strip()}"
                   for name, words in sorted(additions.items())]


def pyconfig_defines(path):
    """{NAME: value} of the #define lines of a pyconfig.h."""
    defines = {}
    with open(path) as f:
        for line in f:
            match = re.match(r"^#define\s+(\w+)(?:\s+(.*?))?\s*$", line)
            if match:
                defines[match.group(1)] = match.group(2) or ""
    return defines


def object_kind(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] in BITCODE_MAGICS:
        return "llvm-bitcode"
    if data[:4] == b"\x7fELF" and GCC_LTO_SECTION in data:
        return "gcc-lto"
    return "native"


def interpreter_objects(srcdir):
    """The interpreter's objects compiled from C (Python/, Objects/, Parser/, Modules/);
    assembly sources (e.g. the perf trampoline) have no LTO form."""
    for top in ("Python", "Objects", "Parser", "Modules"):
        for dirpath, _dirs, files in os.walk(os.path.join(srcdir, top)):
            for name in sorted(files):
                path = os.path.join(dirpath, name)
                if name.endswith(".o") and os.path.exists(path[:-2] + ".c"):
                    yield path


def lto_finding(srcdir):
    flags = makefile_vars(srcdir, {"CONFIGURE_CFLAGS_NODIST", "CONFIGURE_LDFLAGS_NODIST"})
    lto_flags = sorted({f for v in flags.values() for f in v.split() if f.startswith("-flto")})
    return objects_finding(interpreter_objects(srcdir), lto_flags)


def objects_finding(objects, lto_flags):
    """What kind of code the interpreter's object files hold (LTO bitcode or native)."""
    kinds = {}
    for path in objects:
        kind = object_kind(path)
        kinds[kind] = kinds.get(kind, 0) + 1
    lto_objects = kinds.get("llvm-bitcode", 0) + kinds.get("gcc-lto", 0)
    return {"flags": lto_flags, "objects": sum(kinds.values()), "lto_objects": lto_objects,
            "object_kinds": kinds}


# Marks profile use leaves in an object: LLVM records the profile summary in
# the module (bitcode) and puts hot code in .text.hot.* sections; GCC reads a
# .gcda file beside the object.
PROFILE_MARKS = (b"ProfileSummary", b".text.hot.")
# The object whose optimisation matters most: the bytecode interpreter.
EVAL_LOOP = os.path.join("Python", "ceval.o")


def profile_used(path):
    if os.path.exists(path[:-2] + ".gcda"):
        return True
    with open(path, "rb") as f:
        data = f.read()
    return any(mark in data for mark in PROFILE_MARKS)


def pgo_finding(srcdir, profile, make_args=()):
    """Profile use: the flag (configure's, or make_args'), the profile read, and the
    objects built with it."""
    flags = given_vars(make_args).get("PGO_PROF_USE_FLAG") or \
        makefile_vars(srcdir, {"PGO_PROF_USE_FLAG"}).get("PGO_PROF_USE_FLAG", "")
    used = [p for p in interpreter_objects(srcdir) if profile_used(p)]
    return {"use_flag": re.split(r"[=\s]", flags)[0], "profile": profile,
            "objects_with_profile": len(used),
            "eval_loop_profiled": os.path.join(srcdir, EVAL_LOOP) in used}


def detect(srcdir, profile=None, make_args=()):
    """Findings of a finished `make` in srcdir (before install), run with make_args."""
    defines = pyconfig_defines(os.path.join(srcdir, "pyconfig.h"))
    return {
        "lto": lto_finding(srcdir),
        "computed_gotos": "HAVE_COMPUTED_GOTOS" in defines,
        "pgo": pgo_finding(srcdir, profile, make_args) if profile else None,
        # The variants, as the interpreter's headers declare them to extensions.
        "gil_disabled": "Py_GIL_DISABLED" in defines,
        "debug": "Py_DEBUG" in defines,
    }


def build_options_of(findings):
    """[freethreaded+]noopt / lto / pgo / pgo+lto / debug, from what the build did
    (a debug build with LTO or PGO shows as debug+…, which no request asks for)."""
    lto = findings["lto"]["lto_objects"] > 0
    pgo = findings["pgo"] is not None
    base = "+".join(["debug"] * findings["debug"] + ["pgo"] * pgo + ["lto"] * lto) or "noopt"
    return "freethreaded+" * findings["gil_disabled"] + base


def check(requested, findings):
    """Raise ArmpyError unless the build did what `requested` asked, and nothing else."""
    problems = []
    lto = findings["lto"]
    wants_lto = "lto" in requested.split("+")
    if wants_lto and not lto["flags"]:
        problems.append("no -flto in the compiler flags (configure did not enable LTO "
                        "for this compiler)")
    if wants_lto and lto["lto_objects"] < lto["objects"]:
        problems.append(f"only {lto['lto_objects']} of {lto['objects']} interpreter objects "
                        "carry LTO code")
    if not wants_lto and lto["lto_objects"]:
        problems.append(f"{lto['lto_objects']} objects carry LTO code in a build without lto")
    if not findings["computed_gotos"]:
        problems.append("HAVE_COMPUTED_GOTOS is not defined (the eval loop is a switch)")
    pgo = findings["pgo"]
    if "pgo" in requested.split("+"):
        if pgo is None or not pgo["use_flag"]:
            problems.append("no profile-use flag was configured")
        elif not pgo["eval_loop_profiled"]:
            problems.append(f"{EVAL_LOOP} was built without the profile")
        elif pgo["profile"].get("mismatched_functions"):
            problems.append(f"{pgo['profile']['mismatched_functions']} functions did not "
                            "match the profile and were built without it")
    if problems:
        raise ArmpyError(f"cpython: build_options '{requested}' not achieved: "
                         + "; ".join(problems))
    actual = build_options_of(findings)
    if actual != requested:
        raise ArmpyError(f"cpython: asked for '{requested}', the build tree shows '{actual}'")
