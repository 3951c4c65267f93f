"""A private apt configuration for another Debian suite and architecture.

Reference interpreters (Debian's own arm64 python3.13) and the Wine that runs
Windows programs come from a Debian release other than the build machine's, for
another architecture. apt is pointed at them through its own state and cache
directories, with the mirror and keyring of the machine's existing entries:
nothing is installed, the machine's apt state is untouched, and no host name is
written into the repo.
"""
import glob
import os
import subprocess

from . import debsrc
from .errors import ArmpyError

# How pins of binary packages follow the archive (the native reference's: armpy/reference.py).
REPIN = ("pin the current one ('python -m armpy.reference --repin' does it for the "
         "native reference's packages)")


def machine_archive():
    """(URI, keyring) of the machine's main Debian archive entry."""
    stanzas = []
    for path in sorted(glob.glob(debsrc.SOURCES_GLOB)):
        with open(path) as f:
            stanzas.extend(debsrc.parse_deb822(f.read()))
    try:
        with open(debsrc.LEGACY_LIST) as f:
            stanzas.extend(debsrc.parse_legacy(f.read()))
    except FileNotFoundError:
        pass
    for entry in debsrc.derive(stanzas):
        return entry["URIs"].split()[0], entry.get("Signed-By", "")
    raise ArmpyError("no Debian 'deb' entry in /etc/apt to take the archive's address from")


class PrivateApt:
    """apt-get for `suite`/`arch` with state kept under `state_dir`."""

    def __init__(self, state_dir, suite, arch):
        self.state_dir = os.path.abspath(os.path.join(state_dir, f"{suite}-{arch}"))
        self.suite, self.arch = suite, arch
        self.config = os.path.join(self.state_dir, "apt.conf")

    def _write_config(self):
        uri, keyring = machine_archive()
        signed = f" signed-by={keyring}" if keyring else ""
        for sub in ("lists/partial", "cache/archives/partial", "preferences.d"):
            os.makedirs(os.path.join(self.state_dir, sub), exist_ok=True)
        with open(os.path.join(self.state_dir, "sources.list"), "w") as f:
            f.write(f"deb [arch={self.arch}{signed}] {uri} {self.suite} main\n")
        open(os.path.join(self.state_dir, "status"), "a").close()
        d = self.state_dir
        settings = {
            "Dir::State": d, "Dir::State::Lists": f"{d}/lists", "Dir::State::status": f"{d}/status",
            "Dir::Cache": f"{d}/cache", "Dir::Etc::SourceList": f"{d}/sources.list",
            "Dir::Etc::SourceParts": f"{d}/none", "Dir::Etc::Preferences": f"{d}/none",
            "Dir::Etc::PreferencesParts": f"{d}/preferences.d",
            "APT::Architecture": self.arch, "APT::Architectures": self.arch,
            "APT::Install-Recommends": "false", "Debug::NoLocking": "true",
        }
        with open(self.config + ".tmp", "w") as f:
            f.writelines(f'{key} "{value}";\n' for key, value in settings.items())
        os.replace(self.config + ".tmp", self.config)

    def _run(self, *args, cwd=None):
        try:
            return subprocess.run(["apt-get", "-q", *args], env=dict(os.environ,
                                  APT_CONFIG=self.config), capture_output=True, text=True,
                                  timeout=600, cwd=cwd)
        except FileNotFoundError:
            raise ArmpyError("apt-get not found: Debian reference packages need a "
                             "Debian/Ubuntu host") from None

    def update(self):
        self._write_config()
        result = self._run("update")
        if result.returncode != 0:
            raise ArmpyError(f"apt-get update for {self.suite}/{self.arch} failed: "
                             f"{result.stderr.strip()[-300:]}")

    def _has_index(self):
        return glob.glob(os.path.join(self.state_dir, "lists", "*_Packages*"))

    def _download_uris(self, spec):
        """apt's rows for downloading `spec`: [(uri, file name, size, sha256)], and its
        error output."""
        result = self._run("download", "--print-uris", spec, cwd=self.state_dir)
        rows = [(parts[0].strip("'"), parts[1], int(parts[2]), parts[3].split(":", 1)[1])
                for parts in map(str.split, result.stdout.splitlines())
                if len(parts) == 4 and parts[3].startswith("SHA256:")]
        return rows, (result.stderr.strip() or "not in the index")[-200:]

    def uri(self, package, version, filename):
        """The archive URI of one binary package version (the index is read once)."""
        if not self._has_index():
            self.update()
        spec = f"{package}:{self.arch}={version}"
        rows, error = self._download_uris(spec)
        for uri, name, _, _ in rows:
            if name == filename:
                return uri
        raise ArmpyError(f"Debian {self.suite} has no {spec} ({filename}): {error}; Debian "
                         f"keeps only a suite's current versions: {REPIN}")

    def download_with_dependencies(self, packages):
        """Download `packages` (apt's specs: name or name=version) and everything they
        depend on, as apt resolves them for an empty system; returns the .deb paths.
        apt checks each file against the archive's signed index."""
        self.update()
        archives = os.path.join(self.state_dir, "cache", "archives")
        # Only this resolution's files: one left from an earlier one may be another version.
        for name in os.listdir(archives):
            if name.endswith(".deb"):
                os.unlink(os.path.join(archives, name))
        result = self._run("-y", "--download-only", "install", *packages)
        if result.returncode != 0:
            detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise ArmpyError(f"cannot fetch {', '.join(packages)} from Debian {self.suite} "
                             f"({self.arch}): {detail}")
        return sorted(os.path.join(archives, n) for n in os.listdir(archives)
                      if n.endswith(".deb"))

    def current(self, package):
        """(version, file name, size, sha256) of the package's current version in the
        suite, as the archive's signed index gives them (update() first for the newest)."""
        if not self._has_index():
            self.update()
        rows, error = self._download_uris(f"{package}:{self.arch}")
        if not rows:
            raise ArmpyError(f"Debian {self.suite} has no {package}:{self.arch}: {error}")
        _, filename, size, sha256 = rows[0]
        return filename.split("_")[1].replace("%3a", ":"), filename, size, sha256
