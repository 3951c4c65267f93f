"""Skip lists: regression tests that are skipped or expected to fail, each with its reason.

One TOML file per target, CPython version and runner kind, in
regrtest/skips/<target>/<major.minor>-<runner>.toml; a build variant whose tests
differ has its own, named by its ABI flags (3.13t-emulated.toml: free-threaded),
which includes the default build's. Every entry names a test
file or test case, what to do with it (`skip` it, or expect it to `fail`),
and why, in one of five categories. A file may `include` others (the emulated
and Wine lists include the native one, since upstream bugs fail everywhere).
"""
import fnmatch
import os
from dataclasses import dataclass

from . import recipes
from .errors import ArmpyError

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

SKIPS_DIR = os.path.join(recipes.ROOT, "regrtest", "skips")
RUNNER_KINDS = ("emulated", "native", "wine")
MODES = ("fail", "skip")
REASONS = {
    "emulation": "a limitation of qemu-user, not of the build",
    "wine": "something Wine does differently from Windows; `why` gives the evidence",
    "sandbox": "the build machine lacks something the test needs (network, display)",
    "upstream": "a known CPython bug; `link` points at it",
    "ours": "a defect in this project's build; `why` says what is wrong",
}


@dataclass(frozen=True)
class Entry:
    test: str       # regrtest id with its `test.` prefix: test.test_os.PosixTester.test_x
    mode: str
    reason: str
    why: str
    link: str
    origin: str     # "<file>:<n>" for messages

    def covers(self, test_id):
        """True if this entry names `test_id` or a module/class that contains it."""
        if any(c in self.test for c in "*?["):
            return fnmatch.fnmatchcase(test_id, self.test)
        return test_id == self.test or test_id.startswith(self.test + ".")


def qualified(name):
    """regrtest prints top-level files without their package: test_os -> test.test_os."""
    return name if name.startswith("test.") else "test." + name


def short(name):
    """The form regrtest accepts on its command line: test.test_os -> test_os."""
    rest = name[len("test."):] if name.startswith("test.") else name
    return rest if "." not in rest else name


def path_for(triple, major_minor, runner_kind, abiflags=""):
    """The variant's own list where it has one, or else the default build's."""
    variant = os.path.join(SKIPS_DIR, triple, f"{major_minor}{abiflags}-{runner_kind}.toml")
    if abiflags and os.path.exists(variant):
        return variant
    return os.path.join(SKIPS_DIR, triple, f"{major_minor}-{runner_kind}.toml")


def available():
    """Every skip-list file in the repository, as paths."""
    found = []
    for dirpath, _dirs, files in os.walk(SKIPS_DIR):
        found += [os.path.join(dirpath, f) for f in files if f.endswith(".toml")]
    return sorted(found)


def _entry(raw, origin):
    def text(key):
        value = raw.get(key, "")
        if not isinstance(value, str):
            raise ArmpyError(f"{origin}: '{key}' must be a string")
        return value.strip()

    test = text("test")
    if not test:
        raise ArmpyError(f"{origin}: entry has no 'test'")
    unknown = sorted(set(raw) - {"test", "mode", "reason", "why", "link"})
    if unknown:
        raise ArmpyError(f"{origin} ({test}): unknown key '{unknown[0]}' "
                         "(valid: test, mode, reason, why, link)")
    mode, reason, why, link = text("mode"), text("reason"), text("why"), text("link")
    if mode not in MODES:
        raise ArmpyError(f"{origin} ({test}): mode '{mode}' is not valid "
                         f"(valid: {', '.join(MODES)})")
    if reason not in REASONS:
        raise ArmpyError(f"{origin} ({test}): reason '{reason}' is not valid "
                         f"(valid: {', '.join(REASONS)})")
    if not why:
        raise ArmpyError(f"{origin} ({test}): entry has no 'why'")
    if reason == "upstream" and not link.startswith("https://"):
        raise ArmpyError(f"{origin} ({test}): an upstream entry needs a 'link' to the bug")
    return Entry(qualified(test), mode, reason, why, link, origin)


def load(path, _seen=()):
    """Entries of `path` and the files it includes; raise ArmpyError on any bad entry."""
    path = os.path.abspath(path)
    if path in _seen:
        raise ArmpyError(f"{path}: includes itself")
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ArmpyError(f"skip list {path} does not exist (available: "
                         f"{', '.join(os.path.relpath(p, SKIPS_DIR) for p in available())})") from None
    except tomllib.TOMLDecodeError as error:
        raise ArmpyError(f"{path}: {error}") from None
    unknown = sorted(set(data) - {"include", "entry"})
    if unknown:
        raise ArmpyError(f"{path}: unknown key '{unknown[0]}' (valid: include, entry)")
    entries = []
    for name in data.get("include", []):
        entries += load(os.path.join(os.path.dirname(path), name), _seen + (path,))
    rel = os.path.relpath(path, recipes.ROOT)
    entries += [_entry(raw, f"{rel}: entry {n}") for n, raw in enumerate(data.get("entry", []), 1)]
    seen = {}
    for entry in entries:
        if entry.test in seen:
            raise ArmpyError(f"{entry.origin}: {entry.test} is already listed by {seen[entry.test]}")
        seen[entry.test] = entry.origin
    return entries


def category_sizes(entries):
    sizes = dict.fromkeys(REASONS, 0)
    for entry in entries:
        sizes[entry.reason] += 1
    return sizes
