"""A release: every build a release file names, each built, validated, smoke-tested and
put through its regression tier, then published together with one index.

    ./run release config=configs/release.toml [name=value …]

The release file (TOML) holds what the whole release shares (`build_tag`,
`url_prefix`, and optionally `dist_dir`, `build_dir`, `cache_dir`, `jobs`), a
`[defaults]` table of build options and one `[[build]]` table per build. Every build
is checked before the first one starts. The builds are SCons builds like `./run build`,
so a release that was interrupted continues where it stopped when run again.

dist/ then holds every build's files, one SHA256SUMS naming exactly the release's
archives, SBOMs and index, and the downloads index that `uv python install
--python-downloads-json-url` reads. The index and SHA256SUMS are written last, and
the index is removed when a release starts (after SHA256SUMS stops naming it):
neither ever names a file that is missing or has other bytes.
"""
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass

from . import options, package, progress, variants
from .errors import ArmpyError
from .recipes import ROOT
from .skiplist import tomllib
from .sources import sha256_of

INDEX = "python-downloads.json"
# Options the whole release shares: one tag, one dist/, one set of build trees.
RELEASE_WIDE = ("build_tag", "dist_dir", "build_dir", "cache_dir", "jobs")
RELEASE_KEYS = ("url_prefix", "defaults", "build") + RELEASE_WIDE
URL_SCHEMES = ("https://", "http://", "file://")


@dataclass(frozen=True)
class Build:
    number: int
    arguments: dict        # name=value options, as `./run build` takes them
    opts: object           # options.BuildOptions

    @property
    def label(self):
        return f"{self.opts.target.triple} {self.opts.toolchain} {self.opts.build_options}"


@dataclass(frozen=True)
class Release:
    path: str
    url_prefix: str
    dist_dir: str
    builds: tuple


def read(path, overrides=None):
    """The release file at `path`, every build's options resolved; a problem with any
    of them is one line naming the build, and nothing has been built."""
    try:
        with open(path, "rb") as f:
            table = tomllib.load(f)
    except OSError as error:
        raise ArmpyError(f"release file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ArmpyError(f"release file {path}: {error}") from None
    table.update(overrides or {})
    unknown = sorted(set(table) - set(RELEASE_KEYS))
    if unknown:
        raise ArmpyError(f"release file {path}: unknown key '{unknown[0]}' "
                         f"(valid: {', '.join(RELEASE_KEYS)})")
    url_prefix = str(table.get("url_prefix", ""))
    if not url_prefix.startswith(URL_SCHEMES):
        raise ArmpyError(f"release file {path}: url_prefix must be the URL the archives will be "
                         f"downloaded from, starting with {', '.join(URL_SCHEMES)}")
    defaults, tables = table.get("defaults", {}), table.get("build", [])
    if not isinstance(defaults, dict) or not isinstance(tables, list) or not tables or \
            not all(isinstance(t, dict) for t in tables):
        raise ArmpyError(f"release file {path}: needs [defaults] (optional) and at least one "
                         "[[build]] table")
    shared = {k: str(table[k]) for k in RELEASE_WIDE if k in table}
    builds = []
    for number, build_table in enumerate(tables, 1):
        where = f"release file {path}: build {number}"
        for key in set(defaults) | set(build_table):
            if key in RELEASE_WIDE or key == "config":
                raise ArmpyError(f"{where}: '{key}' is set for the whole release, at the top "
                                 "of the file, not per build")
        arguments = {k: str(v) for k, v in (defaults | build_table).items()} | shared
        try:
            opts = options.resolve(arguments)
        except ArmpyError as error:
            raise ArmpyError(f"{where}: {error}") from None
        builds.append(Build(number, arguments, opts))
    check_distinct(path, builds)
    dist_dir = builds[0].opts.dist_dir
    return Release(path=path, url_prefix=url_prefix.rstrip("/") + "/", dist_dir=dist_dir,
                   builds=tuple(builds))


def check_distinct(path, builds):
    """Two builds of a release may not publish a file of the same name."""
    owner = {}
    for build in builds:
        for name in package.artifact_names(build.opts).values():
            if name in owner:
                raise ArmpyError(f"release file {path}: builds {owner[name]} and {build.number} "
                                 f"both publish {name}")
            owner[name] = build.number


def scons_command(build, *extra):
    scons = os.path.join(os.path.dirname(sys.executable), "scons")
    return [scons, "-Q", "-C", ROOT, f"-j{options.PARALLEL_STEPS}",
            *[f"{k}={v}" for k, v in sorted(build.arguments.items())], *extra]


def check_toolchains(release):
    """What only the toolchain knows (a build option it cannot build for a target), asked
    of SCons without building anything: every build is refused before any starts."""
    for build in release.builds:
        result = subprocess.run(scons_command(build, "-n"),
                                capture_output=True, text=True)
        if result.returncode != 0:
            errors = [line.removeprefix("armpy: error: ") for line in result.stderr.splitlines()
                      if line.startswith("armpy: error: ")]
            raise ArmpyError(f"release file {release.path}: build {build.number}: "
                             + (errors[0] if errors else result.stderr.strip()[-300:]))


def run(release):
    """Build every build of the release in turn; publish the index and SHA256SUMS only if
    all of them passed. Returns the summary rows."""
    os.makedirs(release.dist_dir, exist_ok=True)
    # An earlier release's index goes before any build: out of SHA256SUMS first, so
    # that SHA256SUMS never names a missing file.
    if os.path.exists(os.path.join(release.dist_dir, package.SHA256SUMS)):
        package.update_sha256sums(release.dist_dir, withdrawn=[INDEX])
    remove_if_present(os.path.join(release.dist_dir, INDEX))
    rows = []
    for build in release.builds:
        progress.line(f"armpy: release: build {build.number} of {len(release.builds)}: "
                      f"{build.label}")
        started = time.monotonic()
        process = subprocess.Popen(scons_command(build))
        try:
            status = process.wait()
        except KeyboardInterrupt:
            # SCons got the interrupt too: it stops its steps and records what finished.
            process.wait()
            raise
        rows.append(summary_row(build, status, time.monotonic() - started))
    return rows


def summary_row(build, status, seconds):
    names = package.artifact_names(build.opts)
    dist = build.opts.dist_dir
    manifest_path = os.path.join(dist, names["manifest"])
    row = {"build": build, "names": names, "status": status, "seconds": seconds,
           "document": None, "smoke": {}}
    if status == 0 and os.path.exists(manifest_path):
        row["document"] = read_json(manifest_path)
        row["smoke"] = {kind: read_json(os.path.join(dist, names[smoke]))
                        for kind, smoke in (("install_only", "smoke"),
                                            ("install_only_stripped", "smoke_stripped"))}
    return row


def read_json(path):
    with open(path) as f:
        return json.load(f)


def failures(rows):
    return [f"build {row['build'].number} ({row['build'].label})" for row in rows
            if row["status"] != 0 or row["document"] is None]


def index_entry(build, url_prefix):
    opts, names = build.opts, package.artifact_names(build.opts)
    archive = names["install_only"]
    major, minor, patch, prerelease = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)(.*)",
                                                   opts.python).groups()
    variant = variants.name_of(opts.build_options)
    downloads = opts.target.downloads
    key = "-".join(["cpython", opts.python + (f"+{variant}" if variant else ""),
                    downloads.os, downloads.arch, downloads.libc])
    return key, {
        "name": "cpython", "arch": {"family": downloads.arch, "variant": None},
        "os": downloads.os, "libc": downloads.libc,
        "major": int(major), "minor": int(minor), "patch": int(patch),
        "prerelease": prerelease,
        "url": url_prefix + urllib.parse.quote(archive),
        "sha256": sha256_of(os.path.join(opts.dist_dir, archive)),
        "variant": variant, "build": opts.build_tag,
    }


def publish_index(release):
    """The downloads index, then SHA256SUMS naming exactly the release's files."""
    index = dict(index_entry(build, release.url_prefix) for build in release.builds)
    write_atomically(os.path.join(release.dist_dir, INDEX),
                     json.dumps(index, indent=2, sort_keys=True) + "\n")
    names = [INDEX]
    for build in release.builds:
        all_names = package.artifact_names(build.opts)
        names += [all_names[k] for k in package.SUMMED]
    package.write_sha256sums(release.dist_dir, names)


def write_atomically(path, text):
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def remove_if_present(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def table(rows):
    """The release summary: one line per archive."""
    header = ("archive", "MB", "validation", "smoke", "regression tier", "time")
    lines = []
    for row in rows:
        document, minutes = row["document"], f"{row['seconds'] / 60:.1f} min"
        if document is None:
            lines.append((f"build {row['build'].number}: {row['build'].label}", "-",
                          "failed (see above)", "-", "-", minutes))
            continue
        armpy = document["armpy"]
        for kind in ("full", "install_only", "install_only_stripped"):
            name = row["names"][kind]
            size = os.path.getsize(os.path.join(row["build"].opts.dist_dir, name)) / 1e6
            lines.append((name, f"{size:.1f}", validation_cell(armpy["validation"]),
                          smoke_cell(row["smoke"][kind]) if kind in row["smoke"] else "-",
                          regrtest_cell(armpy.get("regression_tests"))
                          if kind == "install_only" else "-",
                          minutes if kind == "full" else ""))
    widths = [max(len(str(line[i])) for line in [header] + lines) for i in range(len(header))]
    return "\n".join("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths)).rstrip()
                     for line in [header] + lines)


def validation_cell(report):
    files = sum(report["checked"].values())
    return f"passed ({files} binaries)" if report["passed"] else "failed"


def smoke_cell(result):
    if "not_run" in result:
        return "not run"
    return f"{len(result['passed'])} passed, {len(result['failed'])} failed"


def regrtest_cell(summary):
    if not summary:
        return "not run"
    files, cases = summary["test_files"], summary["test_cases"]
    return (f"{summary['tier']}: {files['run']} files, {cases['run']} cases, "
            f"{files['failed']} failed")


def main(argv):
    arguments = dict(arg.split("=", 1) for arg in argv if "=" in arg)
    stray = [arg for arg in argv if "=" not in arg]
    try:
        if stray or "config" not in arguments:
            raise ArmpyError("usage: ./run release config=RELEASE.toml [name=value …] "
                             f"(valid names: config, {', '.join(RELEASE_WIDE)})")
        # Paths in the release file and options are the repository's, as `./run build`'s.
        path = os.path.abspath(arguments.pop("config"))
        os.chdir(ROOT)
        unknown = sorted(set(arguments) - set(RELEASE_WIDE))
        if unknown:
            raise ArmpyError(f"unknown option '{unknown[0]}' for a release (valid: config, "
                             f"{', '.join(RELEASE_WIDE)}; the rest is the release file's)")
        release = read(path, arguments)
        check_toolchains(release)
    except ArmpyError as error:
        print(f"armpy: error: {error}", file=sys.stderr)
        return 2
    progress.line(f"armpy: release {path}: {len(release.builds)} builds into "
                  f"{release.dist_dir}")
    try:
        rows = run(release)
    except KeyboardInterrupt:
        progress.line(f"armpy: release interrupted; run './run release config={path}' again "
                      "to continue (finished steps are kept)")
        return 130
    print(table(rows))
    failed = failures(rows)
    if failed:
        print(f"armpy: error: release not published (no {INDEX}): {', '.join(failed)} "
              "failed", file=sys.stderr)
        return 1
    publish_index(release)
    print(f"armpy: released {len(rows)} builds: {os.path.join(release.dist_dir, INDEX)}, "
          f"{package.SHA256SUMS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
