"""Reading and writing tar archives safely and reproducibly.

Extraction refuses, before writing anything, any member with an absolute path,
a `..` component, or a link that points outside the tree. Writing produces the
same bytes for the same files: sorted members, fixed mtime, uid/gid 0, and
normalised permissions.
"""
import gzip
import hashlib
import io
import os
import posixpath
import stat
import tarfile

from .errors import ArmpyError

# 2024-01-01T00:00:00Z, the timestamp every member of our archives carries.
FIXED_MTIME = 1704067200


def _member_problem(member):
    name = member.name
    if name.startswith("/") or posixpath.isabs(name):
        return "absolute path"
    parts = name.split("/")
    if ".." in parts:
        return "'..' in path"
    if member.issym():
        target = posixpath.normpath(posixpath.join(posixpath.dirname(name), member.linkname))
        if member.linkname.startswith("/") or target == ".." or target.startswith("../"):
            return f"symlink to {member.linkname} leaves the tree"
    if member.islnk():
        target = posixpath.normpath(member.linkname)
        if member.linkname.startswith("/") or target == ".." or target.startswith("../"):
            return f"hard link to {member.linkname} leaves the tree"
    if member.isdev():
        return "device file"
    return None


ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def _decompressed_zstd(raw, name):
    """Decompress a zstd stream into an anonymous temporary file (tarfile cannot seek zstd)."""
    import tempfile

    import zstandard

    out = tempfile.TemporaryFile()
    try:
        zstandard.ZstdDecompressor().copy_stream(raw, out)
    except zstandard.ZstdError as error:
        out.close()
        raise ArmpyError(f"{name}: truncated or corrupt zstd archive ({error})") from None
    out.seek(0)
    return out


AR_MAGIC = b"!<arch>\n"
AR_HEADER_SIZE = 60


def _deb_data(path):
    """The data.tar.* member of a Debian package (an ar archive) as a seekable file."""
    import tempfile

    with open(path, "rb") as f:
        f.seek(len(AR_MAGIC))
        while len(header := f.read(AR_HEADER_SIZE)) == AR_HEADER_SIZE:
            name, size = header[:16].decode().strip().rstrip("/"), int(header[48:58])
            if name.startswith("data.tar"):
                out = tempfile.TemporaryFile()
                out.write(f.read(size))
                out.seek(0)
                if out.read(4) == ZSTD_MAGIC:
                    out.seek(0)
                    with out:
                        return _decompressed_zstd(out, path)
                out.seek(0)
                return out
            f.seek(size + size % 2, os.SEEK_CUR)
    raise ArmpyError(f"{path}: a Debian package without a data.tar member")


def open_tar(path):
    """Open a tar archive, compressed with gzip, bzip2, xz or zstd, or not at all, or the
    files of a Debian package (.deb)."""
    try:
        with open(path, "rb") as f:
            magic = f.read(len(AR_MAGIC))
        if magic[:4] == ZSTD_MAGIC:
            with open(path, "rb") as raw:
                return tarfile.open(fileobj=_decompressed_zstd(raw, path))
        if magic == AR_MAGIC:
            return tarfile.open(fileobj=_deb_data(path))
        return tarfile.open(path)
    except tarfile.ReadError:
        raise ArmpyError(f"{path}: not a tar archive (plain, or compressed with gzip, bzip2, "
                         "xz or zstd) nor a Debian package") from None
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        raise ArmpyError(f"{path}: unreadable archive ({error})") from None


def member_digests(path):
    """{member name: (mode, mtime, sha256 of its content or link target)} of an archive."""
    found = {}
    with open_tar(path) as tar:
        for member in tar:
            data = tar.extractfile(member).read() if member.isfile() else member.linkname.encode()
            found[member.name] = (member.mode, member.mtime, hashlib.sha256(data).hexdigest())
    return found


def differing_members(first, second):
    """The members two archives do not share, or hold with other modes, times or bytes."""
    a, b = member_digests(first), member_digests(second)
    return sorted(set(a) ^ set(b)) + sorted(n for n in set(a) & set(b) if a[n] != b[n])


def check_members(members, path):
    """Raise ArmpyError naming the first unsafe member."""
    for member in members:
        problem = _member_problem(member)
        if problem:
            raise ArmpyError(f"{path}: refusing to extract member '{member.name}': {problem}")


def extract(path, dest, strip_top=False, only=()):
    """Extract `path` into `dest`; with strip_top, drop the single top-level directory;
    with `only`, just the members at or below those paths (after stripping)."""
    with open_tar(path) as tar:
        try:
            members = tar.getmembers()
        except (tarfile.TarError, EOFError, OSError) as error:
            raise ArmpyError(f"{path}: truncated or corrupt archive ({error})") from None
        check_members(members, path)
        if strip_top:
            tops = {m.name.split("/", 1)[0] for m in members}
            if len(tops) != 1:
                raise ArmpyError(f"{path}: expected one top-level directory, found {len(tops)}")
            kept = []
            for m in members:
                if "/" not in m.name.rstrip("/"):
                    continue
                m.name = m.name.split("/", 1)[1]
                if m.islnk():
                    m.linkname = m.linkname.split("/", 1)[1]
                kept.append(m)
            members = kept
        if only:
            members = [m for m in members
                       if any(m.name == p.rstrip("/") or m.name.startswith(p.rstrip("/") + "/")
                              for p in only)]
        try:
            tar.extractall(dest, members=members, filter="tar")
        except (tarfile.TarError, EOFError, OSError) as error:
            raise ArmpyError(f"{path}: extraction failed ({error})") from None


def extract_zip(path, dest):
    """Extract a zip file (a wheel) with the same refusals as tar archives; zip
    members that are symlinks are refused outright."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                member = tarfile.TarInfo(info.filename)
                if stat.S_ISLNK(info.external_attr >> 16):
                    raise ArmpyError(f"{path}: refusing to extract member '{info.filename}': "
                                     "symlink")
                check_members([member], path)
            archive.extractall(dest)
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise ArmpyError(f"{path}: truncated or corrupt zip archive ({error})") from None


def _normalised_info(root, relpath, arcname):
    full = os.path.join(root, relpath)
    st = os.lstat(full)
    info = tarfile.TarInfo(arcname)
    info.mtime = FIXED_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    if stat.S_ISLNK(st.st_mode):
        info.type = tarfile.SYMTYPE
        info.linkname = os.readlink(full)
        info.mode = 0o777
    elif stat.S_ISREG(st.st_mode):
        info.size = st.st_size
        info.mode = 0o755 if st.st_mode & 0o111 else 0o644
    else:
        raise ArmpyError(f"{full}: unsupported file type for an archive")
    return info


def walk_files(root):
    """All files and symlinks below root, as sorted relative POSIX paths."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            found.append(posixpath.normpath(posixpath.join(rel.replace(os.sep, "/"), name)))
    return sorted(found)


def write_tar(fileobj, entries):
    """Write a reproducible uncompressed tar stream.

    `entries` is a list of (root, relpath, arcname); it is written in the given
    order (callers sort it, keeping PYTHON.json first).
    """
    with tarfile.open(fileobj=fileobj, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for root, relpath, arcname in entries:
            info = _normalised_info(root, relpath, arcname)
            if info.isreg():
                with open(os.path.join(root, relpath), "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)


def write_tar_gz(path, entries):
    with open(path, "wb") as raw:
        # mtime=0 and no file name keep the gzip header reproducible. Level 6: on these
        # trees level 9 takes five times as long for the same size (100 MiB of the
        # macOS tree: 33.5 s against 7.0 s, 33 MiB both).
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz:
            write_tar(gz, entries)


def write_tar_zst(path, entries, level=19, threads=-1):
    """A zstd-compressed tar, with `threads` workers (-1: one per core). Streamed
    compression with workers gives the same bytes whatever their number (1 or 64),
    so the archive does not depend on the machine; single-threaded mode (0) would
    give other bytes, three times slower."""
    import zstandard

    buffer = io.BytesIO()
    write_tar(buffer, entries)
    compressor = zstandard.ZstdCompressor(level=level, threads=threads)
    with open(path, "wb") as out:
        with compressor.stream_writer(out, closefd=False) as writer:
            writer.write(buffer.getvalue())
