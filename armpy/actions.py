"""SCons actions: thin adapters from SCons' (target, source, env) to engine functions.

An ArmpyError becomes one line on stderr and a failed step; nothing else of
SCons leaks into the engine modules.
"""
import json
import os
import shutil
import sys
import threading

from . import (build_facts, builder, cpython, host_python, manifest, package, platforms,
               regrtest, sbom, smoke, strip, validate, variants)
from .errors import ArmpyError, Interrupted
from .sources import sha256_of

# Parallel steps stopped by one Ctrl-C say so once.
_interrupt_lock = threading.Lock()
_interrupt_reported = []


def step(function):
    """Wrap an engine function as an SCons action that reports ArmpyError in one line,
    and an interrupt (Ctrl-C) once, however many steps it stopped."""
    def action(target, source, env):
        try:
            function(target, source, env)
        except Interrupted:
            with _interrupt_lock:
                if not _interrupt_reported:
                    _interrupt_reported.append(True)
                    sys.stderr.write("armpy: interrupted; run the same command again to "
                                     "continue (finished steps are kept)\n")
            return 1
        except ArmpyError as error:
            sys.stderr.write(f"armpy: error: {error}\n")
            return 1
        except OSError as error:
            sys.stderr.write(f"armpy: error: {error.filename or ''}: {error.strerror}\n")
            return 1
        return 0
    action.__name__ = function.__name__
    return action


def describe(label):
    return lambda target, source, env: f"armpy: {label} -> {os.path.relpath(str(target[0]))}"


@step
def build_dependency(target, source, env):
    name = env["COMPONENT"]
    builder.build_component(
        name, env["TOOLCHAIN"], workdir=env["WORKDIR"],
        prefix=os.path.dirname(target[0].abspath), dep_prefixes=env["DEP_PREFIXES"],
        cache_dir=env["OPTIONS"].cache_dir, jobs=env["OPTIONS"].jobs,
        build_paths=env["BUILD_PATHS"])


@step
def build_host_python(target, source, env):
    opts = env["OPTIONS"]
    host_python.build_host_python(opts.python, workdir=env["WORKDIR"],
                              prefix=os.path.dirname(target[0].abspath),
                              cache_dir=opts.cache_dir, jobs=opts.jobs)


@step
def build_cpython(target, source, env):
    """Build and install CPython into a relocatable tree."""
    opts = env["OPTIONS"]
    stage = env["STAGE"]
    metadata = cpython.build_target_python(
        opts, env["TOOLCHAIN"], host_python=env["HOST_PYTHON"],
        dep_prefixes=env["DEP_PREFIXES"], workdir=env["WORKDIR"], stage=stage,
        pgo_runtime=env["PGO_RUNTIME"], build_paths=env["BUILD_PATHS"])
    builder.write_json(target[0].abspath, metadata)


# The SBOM of the install tree, in the build's out/ folder and the full archive.
SBOM = "sbom.spdx.json"


# Where a build's tree without debug information is kept, beside its out/ folders.
def stripped_install(out_dir):
    return os.path.join(out_dir, "stripped", "install")


@step
def describe_and_strip(target, source, env):
    """PYTHON.json, the licences and the stripped copy of the install tree, in the
    build's out/ directory (emptied first: one per build tag)."""
    opts, toolchain = env["OPTIONS"], env["TOOLCHAIN"]
    install = os.path.join(env["STAGE"], "install")
    out_dir = env["OUT_DIR"]
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)

    major_minor, abiflags = variants.of_install(install)
    layout = platforms.of(opts.target).layout(major_minor, abiflags)
    # Computed, not asked of the interpreter where the sysconfig data says it all.
    facts = build_facts.compute(env["FACTS_PYTHON"] or os.path.join(install, layout["python"]),
                                install, layout, opts.target)
    components = [read_json(os.path.join(p, "component.json"))
                  for p in env["DEP_PREFIXES"].values()]
    cpython_meta = read_json(env["CPYTHON_META"])
    document = manifest.build(facts=facts, install=install, opts=opts, toolchain=toolchain,
                              components=components, cpython_meta=cpython_meta)
    manifest.validate(document)

    licenses = os.path.join(out_dir, "licenses")
    os.makedirs(licenses)
    shutil.copyfile(os.path.join(install, layout["license"]),
                    os.path.join(licenses, "LICENSE.cpython.txt"))
    for name, prefix in env["DEP_PREFIXES"].items():
        shutil.copyfile(os.path.join(prefix, "LICENSE.txt"),
                        os.path.join(licenses, f"LICENSE.{name}.txt"))
    strip.copy_stripped(install, stripped_install(out_dir), toolchain)
    sbom.write(os.path.join(out_dir, SBOM), sbom.document(document, install, opts.cache_dir))
    # Written last: its presence says the folder is complete.
    with open(str(target[0]), "w") as f:
        f.write(manifest.dumps(document))


@step
def validate_trees(target, source, env):
    """Every binary and PYTHON.json of the install tree and of its stripped copy against
    the target's rules; any violation stops the build, each printed with its file and rule."""
    out_dir = env["OUT_DIR"]
    document = read_json(os.path.join(out_dir, "PYTHON.json"))
    trees = {"validation.json": os.path.join(env["STAGE"], "install"),
             "validation-stripped.json": stripped_install(out_dir)}
    for report_name, install in trees.items():
        report = validate.check_tree(document, install, out_dir, env["BUILD_PATHS"])
        builder.write_json(os.path.join(out_dir, report_name), report.to_json())
        for violation in report.violations:
            sys.stderr.write(f"armpy: validate: {violation}\n")
        if not report.passed:
            raise ArmpyError(f"validation {report.summary()}; rules in "
                             f"validation/{report.target}.toml")
        print(f"armpy: validate: {report.summary()}")


@step
def package_and_smoke_test(target, source, env):
    """The archives of the validated trees, each smoke-tested as a user would run it."""
    opts, toolchain = env["OPTIONS"], env["TOOLCHAIN"]
    out_dir = env["OUT_DIR"]
    install = os.path.join(env["STAGE"], "install")
    manifest_path = os.path.join(out_dir, "PYTHON.json")
    document = read_json(manifest_path)
    licenses = os.path.join(out_dir, "licenses")
    names = package.artifact_names(opts)
    # The full archive is compressed while the others are smoke-tested, which mostly
    # wait for one emulated process.
    full = InBackground(write_full_archive, out_dir, names["full"], document, install, opts,
                        cpython.kept_profile(env["STAGE"]))
    for kind, tree in (("install_only", install),
                       ("install_only_stripped", stripped_install(out_dir))):
        archive = os.path.join(out_dir, names[kind])
        package.write_install_only(archive, manifest_path, tree, licenses)
        write_archive_sbom(out_dir, names[kind], document, tree, opts.cache_dir)
        result = smoke.run(archive, document, workdir=out_dir, cache_dir=opts.cache_dir)
        if "not_run" not in result:
            result["runner"] = ("native" if not toolchain.cross else
                                {"qemu": "qemu-user (binfmt_misc)",
                                 "wine": "Wine (arm64, under qemu-user)"}[opts.target.runner])
        smoke_name = names["smoke" if kind == "install_only" else "smoke_stripped"]
        builder.write_json(os.path.join(out_dir, smoke_name), result)
        print(f"armpy: packaged {names[kind]} "
              + (f"(smoke test not run: {result['not_run']})" if "not_run" in result
                 else f"({len(result['passed'])} smoke checks passed)"))
    full.wait()


def write_full_archive(out_dir, name, document, install, opts, profile_dir):
    package.write_full(os.path.join(out_dir, name), os.path.join(out_dir, "PYTHON.json"),
                       install, os.path.join(out_dir, "licenses"), os.path.join(out_dir, SBOM),
                       profile_dir)
    write_archive_sbom(out_dir, name, document, install, opts.cache_dir)


class InBackground:
    """`function(*args)` in a thread of its own; wait() returns when it has, raising what
    it raised. A daemon thread: a step stopped by an error or Ctrl-C does not wait for
    it, and SCons, which did not see the step finish, runs it again next time."""

    def __init__(self, function, *args):
        self.error = None
        self.thread = threading.Thread(target=self._run, args=(function, args), daemon=True)
        self.thread.start()

    def _run(self, function, args):
        try:
            function(*args)
        except BaseException as error:  # handed to the waiting thread
            self.error = error

    def wait(self):
        self.thread.join()
        if self.error is not None:
            raise self.error


def write_archive_sbom(out_dir, name, document, tree, cache_dir):
    digest = sha256_of(os.path.join(out_dir, name))
    sbom.write(os.path.join(out_dir, name + package.SBOM_SUFFIX),
               sbom.document(document, tree, cache_dir, archive=(name, digest)))


@step
def run_regression_tests(target, source, env):
    """Run one tier of the regression suite on the packaged install_only archive.

    With unexpected failures the archives are still published, but SHA256SUMS
    leaves them out and the step fails naming the failing tests.
    """
    opts = env["OPTIONS"]
    names = package.artifact_names(opts)
    os.makedirs(opts.dist_dir, exist_ok=True)
    summary = regrtest.run(os.path.join(env["OUT_DIR"], names["install_only"]), env["TIER"],
                           jobs=os.cpu_count(), output_dir=opts.dist_dir,
                           workdir=env["OUT_DIR"], covers=[names[k] for k in package.ARCHIVES])
    if not summary["passed"]:
        publish(opts, env["OUT_DIR"], summary)
        raise ArmpyError(regrtest.failure_message(summary) + "; published without a "
                         f"{package.SHA256SUMS} entry")


# Everything publish copies to dist/.
PUBLISHED = package.SUMMED + ("smoke", "smoke_stripped", "manifest")


@step
def publish_artifacts(target, source, env):
    opts = env["OPTIONS"]
    summary = read_json(env["REGRTEST_SUMMARY"]) if env.get("REGRTEST_SUMMARY") else None
    publish(opts, env["OUT_DIR"], summary)


def publish(opts, out_dir, summary):
    """Copy the build's files into dist/, each complete or not at all, then SHA256SUMS.

    dist/ also gets the manifest with the smoke test and the regression-test
    summary added; the archives themselves stay independent of test timings,
    so two builds of the same inputs give the same bytes.
    """
    names = package.artifact_names(opts)
    document = read_json(os.path.join(out_dir, "PYTHON.json"))
    document["armpy"]["validation"] = read_json(os.path.join(out_dir, "validation.json"))
    document["armpy"]["smoke_test"] = read_json(os.path.join(out_dir, names["smoke"]))
    document["armpy"]["regression_tests"] = summary
    manifest.validate(document)
    sidecar = os.path.join(out_dir, names["manifest"])
    with open(sidecar, "w") as f:
        f.write(manifest.dumps(document))
    os.makedirs(opts.dist_dir, exist_ok=True)
    published = [names[k] for k in package.SUMMED]
    # Out of SHA256SUMS before they are replaced: it never names other bytes.
    package.update_sha256sums(opts.dist_dir, withdrawn=published)
    for kind in PUBLISHED:
        dest = os.path.join(opts.dist_dir, names[kind])
        shutil.copyfile(os.path.join(out_dir, names[kind]), dest + ".tmp")
        os.replace(dest + ".tmp", dest)
    if summary is None or summary["passed"]:
        package.update_sha256sums(opts.dist_dir, releasable=published)
    else:
        package.update_sha256sums(opts.dist_dir, withdrawn=published)
    tested = (f"regression suite {summary['tier']}: "
              + ("passed" if summary["passed"] else "unexpected failures")) if summary \
        else "regression suite not run"
    print(f"armpy: published {', '.join(names[k] for k in package.ARCHIVES)} and their "
          f"SBOMs ({tested})")


def read_json(path):
    with open(path) as f:
        return json.load(f)
