"""Profile-guided optimisation of a CPython build, trained where the target runs.

CPython's `make profile-opt` runs its training task as a plain make step,
which cannot run a cross-built interpreter and hides which test broke. Here
the same steps run one by one in the configured tree:
1. `make profile-gen-stamp`: the instrumented interpreter (without LTO, see
   without_lto; the profile matches the LTO build all the same);
2. training: it runs the task through the target's runner (qemu-user through
   binfmt_misc on other hosts, natively on Arm); a failing, crashing or hung
   test stops the build by name, and nothing is built from that profile;
3. LLVM toolchains: the raw profiles are merged by the toolchain's llvm-profdata;
4. `make profile-opt`: the final build reads the profile.
Training counts what the tests did, and that depends on timing (regrtest's output
of durations, its workers' polling), so two trainings never give the same counts.
The profile a build read is therefore kept in its full archive (python/build/pgo/),
its digest and training task in the manifest, and `pgo_profile=<full archive>`
builds from that profile instead of training: the same inputs and the same
profile give the same bytes. A profile is used only by a build of the same
target, toolchain, CPython version and build options as the one that made it.
"""
import glob
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from . import archives, artifact, builder, optimizations, package, progress, runner
from .errors import ArmpyError, Interrupted

# CPython's own PGO task (regrtest --pgo: about 40 test files of commonly used
# modules), or a short one for CI, recorded as such in the manifest.
TASKS = {
    "cpython": [],
    "short": ["test_array", "test_bytes", "test_dict", "test_float", "test_json", "test_long",
              "test_re", "test_set", "test_str", "test_struct"],
}
TEST_TIMEOUT = 1200           # per test file, as CPython's TESTTIMEOUT
TRAINING_TIMEOUT = 4 * 3600   # the whole task
INTERRUPTED = 130             # regrtest's exit status after SIGINT
# regrtest's closing summary: "2 tests failed:", "1 test timed out:" … then indented names.
PROBLEM_HEADING = re.compile(r"^\d+ (?:re-run )?tests? (failed|crashed|timed out|"
                             r"worker bug|failed again|altered the execution environment)"
                             r"[^:]*:$")


# A progress line of a test file that did not pass ("[3/10] test_x failed (…)",
# "… worker non-zero exit code (Exit code -11 …)", "… timed out …"); --pgo mode
# prints no closing list.
PROBLEM_PROGRESS = re.compile(r"\] (test_\w+) (?!passed)(failed|crashed|timed out|worker|"
                              r"interrupted)")


def failing_tests(log_text):
    """Names of the test files regrtest reported as failed, crashed or timed out."""
    names, collecting = [], False
    for line in log_text.splitlines():
        progress = PROBLEM_PROGRESS.search(line)
        if progress:
            names.append(progress.group(1))
        if PROBLEM_HEADING.match(line.strip()):
            collecting = True
        elif collecting and line.startswith("    "):
            names += line.split()
        else:
            collecting = False
    return sorted(set(names))


def train(srcdir, target, task, jobs, log_path):
    """Run the instrumented ./python on the training task; raise ArmpyError on any failure."""
    how = runner.detect(target)
    env = runner.environment(srcdir, how)
    # Raw LLVM profiles land beside the build, one per process (regrtest's workers).
    env["LLVM_PROFILE_FILE"] = os.path.join(srcdir, "code-%p.profclangr")
    # The same counts from every run, as far as the tests allow: regrtest seeds the
    # tests' random numbers from SOURCE_DATE_EPOCH, and str hashes (so the order of
    # sets and dicts of strings) are fixed.
    env["SOURCE_DATE_EPOCH"] = builder.SOURCE_DATE_EPOCH
    env["PYTHONHASHSEED"] = "0"
    args = [os.path.join(srcdir, "python"), "-m", "test", "--pgo", "-j", str(jobs),
            "--timeout", str(TEST_TIMEOUT), *TASKS[task]]
    started = time.monotonic()
    with open(log_path, "w") as log:
        # In the build's process group, so that Ctrl-C reaches regrtest as it reaches
        # the other steps: regrtest then stops its workers and exits.
        process = subprocess.Popen(args, cwd=srcdir, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
        try:
            code = progress.wait(process, f"cpython: PGO training ({task})", log_path,
                                 timeout=TRAINING_TIMEOUT)
        except subprocess.TimeoutExpired:
            runner.stop_process_tree(process, [srcdir])
            raise ArmpyError(f"cpython: PGO training ({task}) timed out after "
                             f"{TRAINING_TIMEOUT} s; nothing built from its profile; "
                             f"log: {log_path}") from None
        except BaseException:
            runner.stop_process_tree(process, [srcdir])
            raise
    if code in (INTERRUPTED, -signal.SIGINT, -signal.SIGTERM):
        runner.stop_process_tree(process, [srcdir])   # a worker regrtest left behind
        raise Interrupted(f"cpython: PGO training ({task}) was interrupted")
    with open(log_path, errors="replace") as f:
        text = f.read()
    if code != 0:
        names = failing_tests(text) or ["(no test named; see the log)"]
        raise ArmpyError(f"cpython: PGO training ({task}) failed (exit {code}): "
                         f"{', '.join(names)}; nothing built from its profile; log: {log_path}")
    # The time goes to the build's output, not to the manifest: the archives hold
    # only what is the same in every build of the same inputs.
    progress.line(f"armpy: cpython: PGO training ({task}) passed in "
                  f"{progress.elapsed(time.monotonic() - started)}")
    return {"task": task, "tests": TASKS[task] or ["regrtest --pgo"], "runner": how["kind"],
            **({"qemu": how["qemu"], "qemu_cpu": how["qemu_cpu"]}
               if how["kind"] == "emulated" else {})}


def merge_llvm_profiles(srcdir, profdata):
    """code-*.profclangr -> code.profclangd, as CPython's LLVM_PROF_MERGER does."""
    raw = sorted(glob.glob(os.path.join(srcdir, "code-*.profclangr")))
    if not raw:
        raise ArmpyError("cpython: PGO training wrote no LLVM profile (is the profile runtime "
                         "linked into the instrumented interpreter?)")
    merged = os.path.join(srcdir, "code.profclangd")
    result = subprocess.run([profdata, "merge", f"-output={merged}", *raw],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise ArmpyError(f"cpython: {os.path.basename(profdata)} merge failed: "
                         f"{result.stderr.strip()[-300:]}")
    for path in raw:
        os.unlink(path)
    return [merged]


def profile_files(srcdir):
    """The profile the final build reads: LLVM's merged file, or GCC's .gcda files."""
    merged = os.path.join(srcdir, "code.profclangd")
    if os.path.exists(merged):
        return [merged]
    return sorted(glob.glob(os.path.join(srcdir, "**", "*.gcda"), recursive=True))


def digest(srcdir, files):
    h = hashlib.sha256()
    for path in files:
        h.update(os.path.relpath(path, srcdir).encode() + b"\0")
        with open(path, "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def without_lto(srcdir):
    """Make variables that leave LTO out of the instrumented build: the profile is read
    per function before link-time optimisation, so it does not need LTO, and the
    instrumented interpreter is thrown away after training (its LTO links are the
    slowest steps of the whole build)."""
    names = {"CONFIGURE_CFLAGS_NODIST", "CONFIGURE_LDFLAGS_NODIST"}
    found = optimizations.makefile_vars(srcdir, names)
    return [f"{name}={' '.join(f for f in value.split() if not f.startswith('-flto'))}"
            for name, value in sorted(found.items()) if "-flto" in value]


def build(b, make_args, target, task, jobs, profdata, runtime=None, given="", keep_in=None):
    """Instrumented build, training, profile-use build, in b's configured tree; or,
    with `given` (an earlier build's full archive), the profile-use build of its profile.

    `runtime`: {make variable: words to add} that link the profile runtime where the
    compiler does not find one itself. The profile is copied to `keep_in`, for the full
    archive. Returns the profile's description for the manifest.
    """
    if given:
        training = dict(record_of(artifact.inspect(given).manifest))
        del training["mismatched_functions"]    # counted again below
        files = use_given(b.srcdir, given, training["sha256"])
    else:
        training, files = train_instrumented(b, make_args, target, task, jobs, profdata, runtime)
        b.make("clean-retain-profile")
    if keep_in:
        keep(b.srcdir, files, keep_in)
    with open(os.path.join(b.srcdir, "profile-run-stamp"), "w"):
        pass
    log_start = os.path.getsize(b.log_path)
    b.make("profile-opt", *make_args)
    with open(b.log_path, errors="replace") as f:
        f.seek(log_start)
        training["mismatched_functions"] = mismatched_functions(f.read())
    return training


def train_instrumented(b, make_args, target, task, jobs, profdata, runtime):
    """The instrumented build and its training: (the training's record, profile files)."""
    gen_args = list(make_args) + without_lto(b.srcdir)
    if runtime:
        gen_args = optimizations.with_words_added(gen_args, b.srcdir, runtime)
    b.make("profile-gen-stamp", *gen_args)
    training = train(b.srcdir, target, task, jobs,
                     os.path.join(os.path.dirname(b.log_path), "pgo-training.log"))
    if profdata:
        merge_llvm_profiles(b.srcdir, profdata)
    files = profile_files(b.srcdir)
    if not files:
        raise ArmpyError("cpython: PGO training left no profile data")
    training.update(files=len(files), sha256=digest(b.srcdir, files))
    return training, files


def record_of(document):
    """The profile record of a PYTHON.json (None for a build without PGO)."""
    pgo = document["armpy"]["optimizations"].get("pgo") or {}
    return pgo.get("profile")


def check_given(path, target, toolchain, python, build_options):
    """The training record of the profile in full archive `path`, which must come from
    a build of the same target, toolchain, CPython version and build options."""
    try:
        found = artifact.inspect(path)
    except ArmpyError as error:
        raise ArmpyError(f"pgo_profile: {error}") from None
    record = record_of(found.manifest)
    if found.layout != "full" or record is None or not any(
            name.startswith(package.PGO_PROFILE_DIR + "/") for name in found.members):
        raise ArmpyError(f"pgo_profile {path}: holds no profile (expected the -full.tar.zst "
                         f"of a pgo build, with {package.PGO_PROFILE_DIR}/)")
    m = found.manifest
    theirs = (m["target_triple"], m["armpy"]["toolchain"]["name"], m["python_version"],
              m["build_options"])
    ours = (target, toolchain, python, build_options)
    if theirs != ours:
        raise ArmpyError(f"pgo_profile {path}: made by a build of {' '.join(theirs)}, not "
                         f"of this build's {' '.join(ours)} (target, toolchain, CPython, "
                         "build_options)")
    return record


def use_given(srcdir, path, sha256):
    """Put the profile of full archive `path` where the profile-use build reads it, once
    its digest is the one its PYTHON.json records. Returns the files' paths."""
    with tempfile.TemporaryDirectory(dir=os.path.dirname(srcdir)) as tmp:
        archives.extract(path, tmp, only=[package.PGO_PROFILE_DIR])
        root = os.path.join(tmp, package.PGO_PROFILE_DIR)
        names = archives.walk_files(root)
        if digest(root, [os.path.join(root, n) for n in names]) != sha256:
            raise ArmpyError(f"pgo_profile {path}: its profile does not have the sha256 its "
                             f"PYTHON.json records ({sha256})")
        for name in names:
            os.makedirs(os.path.dirname(os.path.join(srcdir, name)), exist_ok=True)
            shutil.copyfile(os.path.join(root, name), os.path.join(srcdir, name))
    return [os.path.join(srcdir, n) for n in names]


def keep(srcdir, files, dest):
    """A copy of the profile files in `dest`, at their paths in the source tree."""
    shutil.rmtree(dest, ignore_errors=True)
    for path in files:
        copy = os.path.join(dest, os.path.relpath(path, srcdir))
        os.makedirs(os.path.dirname(copy), exist_ok=True)
        shutil.copyfile(path, copy)


# What clang's front-end PGO says when profile records do not match the code they are
# applied to (those functions keep no profile), counted per file. GCC stops on a
# mismatch by itself (coverage-mismatch is an error); IR-level PGO says nothing, so the
# tests check where the eval loop landed in the interpreter instead.
FRONT_END_MISMATCH = re.compile(r"profile data may be out of date: of \d+ functions?, "
                                r"(\d+) ha(?:s|ve) mismatched data")


def mismatched_functions(log_text):
    """How many functions the compiler built without their (mismatched) profile."""
    return sum(int(n) for n in FRONT_END_MISMATCH.findall(log_text))
