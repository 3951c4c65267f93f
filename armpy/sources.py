"""Pinned source files: where they come from, and a verified, atomic cache.

A recipe lists providers for its source in order of preference: the upstream
URL first, then Debian's source archive. Each provider carries the sha256 (and
size, where published) of the exact file it serves: Debian sometimes repacks
an upstream tarball (`+dfsg`) or ships a git tag snapshot, which are different
bytes. Nothing is used or kept in the cache unless it matches its pin.
"""
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Optional

from . import debapt, progress
from .errors import ArmpyError

CHUNK = 1 << 20
PROGRESS_SECONDS = 10


@dataclass(frozen=True)
class Upstream:
    url: str
    sha256: str
    size: Optional[int] = None

    @property
    def filename(self):
        return self.url.rsplit("/", 1)[-1]

    def describe(self):
        return self.url


@dataclass(frozen=True)
class DebianOrig:
    """An `.orig` tarball of a Debian source package, located through apt."""
    package: str
    version: str
    filename: str
    sha256: str
    size: Optional[int] = None

    def describe(self):
        return f"Debian source {self.package}={self.version} ({self.filename})"


@dataclass(frozen=True)
class DebianBinary:
    """A binary package of a Debian suite, located through a private apt configuration."""
    package: str
    version: str
    suite: str
    arch: str
    filename: str
    sha256: str
    size: Optional[int] = None

    def describe(self):
        return f"Debian {self.suite} {self.package}:{self.arch}={self.version}"


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_path(cache_dir, provider):
    # Content-addressed: two providers of the same bytes share one entry.
    return os.path.join(cache_dir, provider.sha256, provider.filename)


def verify(path, provider):
    """Raise ArmpyError unless `path` matches the provider's pin."""
    size = os.path.getsize(path)
    if provider.size is not None and size != provider.size:
        raise ArmpyError(
            f"{os.path.basename(path)}: size {size} does not match the pinned "
            f"{provider.size} (from {provider.describe()}); file discarded")
    actual = sha256_of(path)
    if actual != provider.sha256:
        raise ArmpyError(
            f"{os.path.basename(path)}: sha256 {actual} does not match the pinned "
            f"{provider.sha256} (from {provider.describe()}); file discarded")


def _apt(args, **kwargs):
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=120, **kwargs)
    except FileNotFoundError:
        raise ArmpyError("apt-get not found: the Debian source provider needs a Debian/Ubuntu "
                         "host (apt)") from None


def _orig_uri(package, version, filename):
    # In an empty directory: apt omits files already present in the current one.
    with tempfile.TemporaryDirectory() as empty:
        out = _apt(["apt-get", "source", "--print-uris", "-qq", f"{package}={version}"],
                   cwd=empty)
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1] == filename:
            return parts[0].strip("'")
    return None


def debian_uri(provider):
    """Ask apt where the orig file of a source package lives (no host names in the repo).

    The pin is the file and its digest; the Debian revision only says where it was
    found. Debian keeps a suite's current revision only, and every revision of one
    upstream version shares its orig file, so when the pinned revision has gone, the
    same file is taken from a revision that carries it (and verified as always).
    """
    uri = _orig_uri(provider.package, provider.version, provider.filename)
    if uri:
        return uri
    listed = _apt(["apt-cache", "showsrc", "--only-source", provider.package]).stdout
    for line in listed.splitlines():
        if line.startswith("Version: ") and line.split()[1] != provider.version:
            uri = _orig_uri(provider.package, line.split()[1], provider.filename)
            if uri:
                return uri
    raise ArmpyError(
        f"Debian source {provider.package}={provider.version} is not available through apt, "
        f"nor {provider.filename} in another revision (no deb-src entry for it?); "
        f"run './run build' once to add deb-src entries, then 'apt-get update'")


def download(url, dest, label, retries=3, timeout=(15, 60)):
    """Stream `url` into `dest` with retries and a progress line."""
    import requests  # imported late: only needed when something is missing

    last_error = None
    for attempt in range(1, retries + 1):
        try:
            with requests.get(url, stream=True, timeout=timeout) as response:
                response.raise_for_status()
                total = int(response.headers.get("content-length") or 0)
                done = 0
                next_report = time.monotonic() + PROGRESS_SECONDS
                with open(dest, "wb") as out:
                    for chunk in response.iter_content(CHUNK):
                        out.write(chunk)
                        done += len(chunk)
                        if time.monotonic() >= next_report:
                            _progress(label, done, total)
                            next_report += PROGRESS_SECONDS
                _progress(label, done, total)
                return
        except requests.RequestException as error:
            last_error = error
            if "Failed to resolve" in str(error):
                # The host is unknown here (e.g. an offline build farm): retrying won't help.
                raise ArmpyError(f"could not download {url}: host name does not resolve") from None
            if attempt < retries:
                time.sleep(attempt)
    raise ArmpyError(f"could not download {url}: {str(last_error)[:200]}")


def _progress(label, done, total):
    """One whole line (a slow download's every PROGRESS_SECONDS, and its end): parallel
    steps' lines never run into each other."""
    if total:
        text = f"  fetch {label}: {done >> 20}/{total >> 20} MiB ({100 * done // total}%)"
    else:
        text = f"  fetch {label}: {done >> 20} MiB"
    progress.line(text, sys.stderr)


def provider_url(provider, cache_dir):
    if isinstance(provider, DebianOrig):
        return debian_uri(provider)
    if isinstance(provider, DebianBinary):
        # apt's lists for that suite live beside the source cache.
        apt = debapt.PrivateApt(os.path.join(os.path.dirname(cache_dir), "apt"),
                                provider.suite, provider.arch)
        return apt.uri(provider.package, provider.version, provider.filename)
    return provider.url


def fetch(providers, cache_dir, log=print):
    """Return (path, provider) of a verified copy of the source, fetching it if needed.

    A cached file that fails verification is reported, removed and fetched again.
    A download lands in a temporary file and enters the cache only once verified.
    """
    os.makedirs(cache_dir, exist_ok=True)
    for provider in providers:
        path = cache_path(cache_dir, provider)
        if os.path.exists(path):
            try:
                verify(path, provider)
                return path, provider
            except ArmpyError as error:
                log(f"armpy: cached {error}")
                os.unlink(path)
    failures = []
    for provider in providers:
        path = cache_path(cache_dir, provider)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".part-")
        os.close(fd)
        try:
            download(provider_url(provider, cache_dir), tmp, provider.filename)
            verify(tmp, provider)
            os.replace(tmp, path)
            return path, provider
        except ArmpyError as error:
            failures.append(str(error))
            log(f"armpy: {error}")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    raise ArmpyError(f"no provider could supply a verified {providers[0].filename}: "
                     + "; ".join(failures))

