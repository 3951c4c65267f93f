"""Build options: their names, allowed values and defaults, validated in one place.

Values come from the command line (`name=value`) and optionally from a file
(`config=release.py`, Python assignments) for repeatable release builds; the
command line wins.
"""
import os
import re
from dataclasses import dataclass

from . import pgo, recipes, regrtest, runner, variants
from .errors import ArmpyError
from .targets import BUILDABLE, DEFAULT_TARGET, TARGETS

# Build options grammar: [freethreaded+]<optimisation>, where debug (a debug
# interpreter, without LTO or PGO) takes the optimisation's place: the names of
# standalone-CPython archives. A target builds the variants its row lists.
OPTIMISATIONS = ("noopt", "lto", "pgo", "pgo+lto", "debug")
BUILD_OPTIONS = OPTIMISATIONS + tuple(f"freethreaded+{o}" for o in OPTIMISATIONS)
GRAMMAR = f"[freethreaded+]{{{'|'.join(OPTIMISATIONS)}}}"
DEFAULT_BUILD_OPTIONS = "lto"
# SCons steps run at once (scons -j; each step's own jobs are `jobs`): twice the
# cores, since dependency builds spend much of their time in single-threaded
# configure scripts. ./run passes the same.
PARALLEL_STEPS = 2 * (os.cpu_count() or 1)
BUILD_TAG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._]*$")


@dataclass(frozen=True)
class Option:
    name: str
    help: str
    default: str
    choices: tuple = ()


def python_versions():
    return tuple(recipes.load("cpython").VERSIONS)


def option_table():
    return [
        Option("target", "target triple", DEFAULT_TARGET, tuple(TARGETS)),
        Option("toolchain", "compiler toolchain; empty means the target's first", "",
               tuple(dict.fromkeys(t for target in TARGETS.values() for t in target.toolchains))),
        Option("python", "CPython version (major.minor or exact)", python_versions()[0],
               python_versions()),
        Option("build_options", "optimisation, optionally prefixed 'freethreaded+' (default: "
               "the target's, in targets.toml)",
               DEFAULT_BUILD_OPTIONS, BUILD_OPTIONS),
        Option("pgo_task", "training task of pgo builds ('short': a few test files, for CI)",
               "cpython", ("cpython", "short")),
        Option("pgo_profile", "the full archive (-full.tar.zst) of an earlier pgo build of the "
               "same target, toolchain, python and build_options: its profile is used instead "
               "of training, and the build gives the same bytes", ""),
        Option("regrtest", "regression-suite tier run before publishing (none: not tested; "
               "the default for a target this host cannot run, and under Wine)", "quick",
               regrtest.TIERS + ("none",)),
        Option("build_tag", "release tag in artifact names (letters, digits, '.', '_')", "dev"),
        Option("cache_dir", "verified source cache", os.path.join(".cache", "sources")),
        Option("build_dir", "intermediate build trees", "build"),
        Option("dist_dir", "where finished artifacts are published", "dist"),
        Option("jobs", "parallel jobs inside each component build", str(os.cpu_count() or 2)),
        Option("config", "file of name = 'value' lines read before the command line", ""),
    ]


@dataclass(frozen=True)
class BuildOptions:
    target: object
    toolchain: str
    python: str            # exact version, e.g. 3.13.15
    build_options: str
    pgo_task: str
    pgo_profile: str       # "" or an absolute path
    regrtest: str
    build_tag: str
    cache_dir: str
    build_dir: str
    dist_dir: str
    jobs: int


def read_config_file(path):
    values = {}
    try:
        with open(path) as f:
            exec(compile(f.read(), path, "exec"), {}, values)
    except OSError as error:
        raise ArmpyError(f"config file {path}: {error.strerror}") from None
    except SyntaxError as error:
        raise ArmpyError(f"config file {path}: line {error.lineno}: {error.msg}") from None
    return {k: str(v) for k, v in values.items() if not k.startswith("_")}


def _check_choice(name, value, choices):
    if value not in choices:
        raise ArmpyError(f"unknown {name} '{value}' (valid: {', '.join(choices)})")


def resolve(arguments):
    """Validate raw name=value arguments; return BuildOptions or raise ArmpyError."""
    table = {o.name: o for o in option_table()}
    raw = {}
    if arguments.get("config"):
        raw.update(read_config_file(arguments["config"]))
    raw.update(arguments)
    unknown = sorted(set(raw) - set(table))
    if unknown:
        raise ArmpyError(f"unknown option '{unknown[0]}' (valid: {', '.join(table)})")
    values = {name: raw.get(name, option.default) for name, option in table.items()}

    _check_choice("target", values["target"], table["target"].choices)
    target = TARGETS[values["target"]]
    toolchain = values["toolchain"] or target.toolchains[0]
    _check_choice(f"toolchain for {target.triple}", toolchain, target.toolchains)
    if "build_options" not in raw:
        values["build_options"] = target.build_options
    if not target.builds:
        raise ArmpyError(f"target {target.triple} cannot be built yet: armpy validates its "
                         f"archives only (buildable: {', '.join(BUILDABLE)})")

    python = values["python"]
    versions = recipes.load("cpython").VERSIONS
    exact = {v.version: k for k, v in versions.items()}
    if python in exact:
        python = exact[python]
    _check_choice("python", python, tuple(versions) + tuple(exact))

    build_options = values["build_options"]
    if build_options not in BUILD_OPTIONS:
        raise ArmpyError(f"unknown build_options '{build_options}' (grammar: {GRAMMAR}; "
                         "e.g. pgo+lto, freethreaded+pgo+lto, debug)")
    unbuilt = [v for v in variants.variants_of(build_options) if v not in target.variants]
    if unbuilt:
        others = [t for t, row in TARGETS.items() if unbuilt[0] in row.variants]
        raise ArmpyError(f"build_options '{build_options}': {target.triple} builds no "
                         f"{unbuilt[0]} variant yet (its variants: "
                         f"{', '.join(target.variants) or 'none'}; built for "
                         f"{', '.join(others)})")

    _check_choice("pgo_task", values["pgo_task"], table["pgo_task"].choices)
    pgo_profile = values["pgo_profile"] and os.path.abspath(values["pgo_profile"])
    if pgo_profile:
        if "pgo" not in build_options.split("+"):
            raise ArmpyError(f"pgo_profile: build_options '{build_options}' has no pgo, and "
                             "only a pgo build reads a profile")
        record = pgo.check_given(pgo_profile, target.triple, toolchain,
                                 versions[python].version, build_options)
        if "pgo_task" in raw and values["pgo_task"] != record["task"]:
            raise ArmpyError(f"pgo_task={values['pgo_task']}: the profile of pgo_profile was "
                             f"trained on the '{record['task']}' task (valid: "
                             f"pgo_task={record['task']}, or none given)")
        values["pgo_task"] = record["task"]
    _check_choice("regrtest", values["regrtest"], table["regrtest"].choices)
    if not runner.runs_here(target):
        if "regrtest" in raw and values["regrtest"] != "none":
            raise ArmpyError(f"regrtest={values['regrtest']}: {runner.cannot_run_here(target)} "
                             "(valid here: regrtest=none)")
        values["regrtest"] = "none"
    if not BUILD_TAG_RE.match(values["build_tag"]):
        raise ArmpyError(f"invalid build_tag '{values['build_tag']}' "
                         "(letters, digits, '.' and '_', starting with a letter or digit)")
    try:
        jobs = int(values["jobs"])
        if jobs < 1:
            raise ValueError
    except ValueError:
        raise ArmpyError(f"invalid jobs '{values['jobs']}' (a whole number of at least 1)") from None

    return BuildOptions(target=target, toolchain=toolchain, python=versions[python].version,
                        build_options=build_options, pgo_task=values["pgo_task"],
                        pgo_profile=pgo_profile,
                        regrtest=values["regrtest"],
                        build_tag=values["build_tag"],
                        cache_dir=os.path.abspath(values["cache_dir"]),
                        build_dir=os.path.abspath(values["build_dir"]),
                        dist_dir=os.path.abspath(values["dist_dir"]), jobs=jobs)


def help_text():
    lines = ["armpy options (name=value; see README):", ""]
    for o in option_table():
        lines.append(f"  {o.name}: {o.help}")
        if o.choices:
            lines.append(f"      allowed: {', '.join(o.choices)}")
        lines.append(f"      default: {o.default or '(empty)'}")
    return "\n".join(lines) + "\n"
