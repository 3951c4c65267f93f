"""Safe extraction and reproducible archive writing."""
import io
import os
import stat
import tarfile
import zipfile

import pytest
import zstandard

from armpy import archives, package, sources
from armpy.errors import ArmpyError

from conftest import CACHE_DIR


def make_tar(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)


def file_member(name, data=b"x"):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def link_member(name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


@pytest.mark.parametrize("member,reason", [
    (file_member("/etc/evil"), "absolute path"),
    (file_member("top/../../evil"), "'..'"),
    (link_member("top/link", "/etc/passwd"), "leaves the tree"),
    (link_member("top/link", "../../outside"), "leaves the tree"),
    (link_member("top/hard", "../outside", tarfile.LNKTYPE), "leaves the tree"),
])
def test_unsafe_members_are_refused_before_anything_is_written(tmp_path, member, reason):
    archive = tmp_path / "bad.tar.gz"
    make_tar(archive, [file_member("top/ok.txt"), member])
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(ArmpyError) as error:
        archives.extract(str(archive), str(dest))
    assert reason in str(error.value) and member[0].name in str(error.value)
    assert list(dest.iterdir()) == []


def zip_member(name, symlink=False):
    info = zipfile.ZipInfo(name)
    if symlink:
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize("member,reason", [
    (zip_member("/etc/evil"), "absolute path"),
    (zip_member("pkg/../../evil"), "'..'"),
    (zip_member("pkg/link", symlink=True), "symlink"),
])
def test_unsafe_zip_members_are_refused_before_anything_is_written(tmp_path, member, reason):
    archive = tmp_path / "bad-1.0-py3-none-any.whl"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("pkg/ok.txt", "x")
        z.writestr(member, "/etc/passwd" if reason == "symlink" else "x")
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(ArmpyError) as error:
        archives.extract_zip(str(archive), str(dest))
    assert reason in str(error.value) and member.filename in str(error.value)
    assert list(dest.iterdir()) == []


def test_truncated_archive_is_refused(tmp_path, bzip2_source):
    path, _ = bzip2_source
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(open(path, "rb").read()[:300000])
    with pytest.raises(ArmpyError, match="truncated.tar.gz"):
        archives.extract(str(truncated), str(tmp_path / "out"))


def test_strip_top_extracts_real_source(tmp_path, bzip2_source):
    path, _ = bzip2_source
    archives.extract(path, str(tmp_path), strip_top=True)
    assert (tmp_path / "bzlib.h").exists() and (tmp_path / "LICENSE").exists()


def test_debian_package_files_are_extracted_like_a_tar(tmp_path):
    """A real pinned .deb (an ar archive around data.tar.xz): the files, and only those asked for."""
    from armpy import recipes, sources
    recipe = recipes.load("clang_rt_profile")
    path, _ = sources.fetch(recipe.SOURCES, CACHE_DIR)
    archives.extract(path, str(tmp_path), strip_top=True, only=recipe.SOURCE_PATHS)
    found = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert found == sorted(recipe.SOURCE_PATHS)
    assert (tmp_path / recipe.PACKAGED).read_bytes().startswith(b"!<arch>\n")
    truncated = tmp_path / "truncated.deb"
    truncated.write_bytes(open(path, "rb").read()[:500000])
    with pytest.raises(ArmpyError, match="truncated.deb"):
        archives.extract(str(truncated), str(tmp_path / "out"))


def test_writing_is_reproducible_and_normalised(tmp_path):
    root = tmp_path / "tree"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "tool").write_text("#!/bin/sh\n")
    os.chmod(root / "bin" / "tool", 0o700)
    (root / "data.txt").write_text("hello")
    os.chmod(root / "data.txt", 0o600)
    os.symlink("tool", root / "bin" / "alias")
    entries = [(str(root), rel, f"python/{rel}") for rel in archives.walk_files(str(root))]
    first, second = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    archives.write_tar_gz(str(first), entries)
    os.utime(root / "data.txt", (0, 0))  # a different mtime must not change the bytes
    archives.write_tar_gz(str(second), entries)
    assert first.read_bytes() == second.read_bytes()
    with tarfile.open(first) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["python/bin/alias", "python/bin/tool", "python/data.txt"]
    assert {m.mtime for m in members} == {archives.FIXED_MTIME}
    assert {(m.uid, m.gid, m.uname) for m in members} == {(0, 0, "root")}
    modes = {m.name: m.mode for m in members}
    assert modes["python/bin/tool"] == 0o755 and modes["python/data.txt"] == 0o644


def test_zstd_archive_bytes_do_not_depend_on_the_number_of_cores(tmp_path, bzip2_source):
    # Real data, 8 MiB: at level 1 (a 512 KiB window) zstd splits it into several jobs.
    path, _recipe = bzip2_source
    root = tmp_path / "tree"
    root.mkdir()
    data = open(path, "rb").read()
    for i in range(10):
        (root / f"part{i}.tar.gz").write_bytes(data)
    entries = [(str(root), rel, f"python/{rel}") for rel in archives.walk_files(str(root))]
    written = {}
    for threads in (1, 2, 4):
        out = tmp_path / f"{threads}.tar.zst"
        archives.write_tar_zst(str(out), entries, level=1, threads=threads)
        written[threads] = out.read_bytes()
    assert written[1] == written[2] == written[4]
    unpacked = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(written[2])).read()
    with tarfile.open(fileobj=io.BytesIO(unpacked)) as tar:
        assert len(tar.getnames()) == 10


def test_sha256sums_answer_for_each_publication_alone(tmp_path, bzip2_source):
    """Each build or test run updates its own archives' entries: an earlier failing
    summary left in dist/ hides nothing, and entries of deleted archives go."""
    path, _recipe = bzip2_source
    dist = tmp_path / "dist"
    dist.mkdir()
    for name in ("a-install_only.tar.gz", "b-install_only.tar.gz", "gone-install_only.tar.gz"):
        (dist / name).write_bytes(open(path, "rb").read() + name.encode())
    package.update_sha256sums(str(dist), releasable=["a-install_only.tar.gz",
                                                     "gone-install_only.tar.gz"])
    # A failing summary of an earlier build of b stays behind; b's new build passes.
    (dist / "b-install_only.regrtest-quick.json").write_text(
        '{"passed": false, "artifacts": ["b-install_only.tar.gz"]}')
    (dist / "gone-install_only.tar.gz").unlink()
    package.update_sha256sums(str(dist), releasable=["b-install_only.tar.gz"])
    listed = dict(reversed(line.split("  ")) for line in
                  (dist / package.SHA256SUMS).read_text().splitlines())
    assert sorted(listed) == ["a-install_only.tar.gz", "b-install_only.tar.gz"]
    assert listed["b-install_only.tar.gz"] == sources.sha256_of(str(dist / "b-install_only.tar.gz"))
    package.update_sha256sums(str(dist), withdrawn=["a-install_only.tar.gz"])
    assert (dist / package.SHA256SUMS).read_text().split() == [
        listed["b-install_only.tar.gz"], "b-install_only.tar.gz"]
