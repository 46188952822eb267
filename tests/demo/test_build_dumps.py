"""Tests for demo/build_dumps.py: builds the real scale=1 demo dumps (twice) from this machine."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import re
import tarfile
from collections import defaultdict
from pathlib import Path

import pytest

from demo import build_dumps as bd

MANIFEST_KEYS = {"name", "stars", "last_commit", "license", "source"}
BIG = 8 * 1024 * 1024


def _digest(data: bytes) -> tuple[int, str, bool]:
    return len(data), hashlib.sha256(data).hexdigest(), b"\x00" in data


def dir_fingerprint(dump: Path) -> list[tuple[str, int, str, bool]]:
    """Sorted (path, size, sha256, has_nul) of every file of a directory dump."""
    out = []
    for root, dirs, files in os.walk(dump):
        dirs.sort()
        for name in files:
            p = Path(root) / name
            out.append((p.relative_to(dump).as_posix(), *_digest(p.read_bytes())))
    return sorted(out)


def tar_fingerprint(archive: Path) -> tuple[list[str], list[tuple[str, int, str, bool]]]:
    """(sorted member names, sorted (path, size, sha256, has_nul) of regular members)."""
    names, files = [], []
    with tarfile.open(archive, "r:gz") as tar:
        for m in tar:
            names.append(m.name)
            if m.isfile():
                fh = tar.extractfile(m)
                assert fh is not None
                files.append((m.name, *_digest(fh.read())))
    return sorted(names), sorted(files)


def _strip_top(path: str, top: str) -> str:
    return path[len(top) + 1:] if path.startswith(top + "/") else path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    landing = tmp_path_factory.mktemp("landing")
    paths = bd.build_demo_dumps(landing, scale=1)
    dir_dump, archive = paths
    names, tar_files = tar_fingerprint(archive)
    return {
        "landing": landing,
        "paths": paths,
        "dir_fp": dir_fingerprint(dir_dump),
        "tar_names": names,
        "tar_fp": tar_files,
        "archive_sha": hashlib.sha256(archive.read_bytes()).hexdigest(),
    }


def _all_files(built) -> list[tuple[str, str, str, int, str, bool]]:
    """(dump, repo folder, path in repo, size, sha256, has_nul) for both dumps, manifests included."""
    out = []
    for path, size, sha, nul in built["dir_fp"]:
        if "/" in path:
            repo, rel = path.split("/", 1)
            out.append((bd.DUMP_DIR_NAME, repo, rel, size, sha, nul))
    for path, size, sha, nul in built["tar_fp"]:
        path = _strip_top(path, bd.DUMP_ARCHIVE_NAME)
        if "/" in path:
            repo, rel = path.split("/", 1)
            out.append((bd.DUMP_ARCHIVE_NAME, repo, rel, size, sha, nul))
    return out


def _manifests(built) -> dict[tuple[str, str], dict]:
    landing = built["landing"]
    out: dict[tuple[str, str], dict] = {}
    dir_dump = landing / bd.DUMP_DIR_NAME
    for repo in sorted(p for p in dir_dump.iterdir() if p.is_dir()):
        out[(bd.DUMP_DIR_NAME, repo.name)] = json.loads((repo / bd.MANIFEST_NAME).read_text("utf-8"))
    with tarfile.open(built["paths"][1], "r:gz") as tar:
        for m in tar:
            rel = _strip_top(m.name, bd.DUMP_ARCHIVE_NAME)
            if m.isfile() and rel.count("/") == 1 and rel.endswith("/" + bd.MANIFEST_NAME):
                out[(bd.DUMP_ARCHIVE_NAME, rel.split("/")[0])] = json.loads(tar.extractfile(m).read())
    return out


def test_two_dumps_exist(built):
    landing = built["landing"]
    dir_dump, archive = built["paths"]
    assert dir_dump == landing / "demo-2024-01" and dir_dump.is_dir()
    assert archive == landing / "demo-2024-02.tar.gz" and archive.is_file()
    # nothing else (no half-written temp archive) is left in the landing zone
    assert sorted(p.name for p in landing.iterdir()) == ["demo-2024-01", "demo-2024-02.tar.gz"]
    for name in ("demo-2024-01", "demo-2024-02"):
        assert re.fullmatch(r"[A-Za-z0-9._-]+", name)


def test_directory_dump_has_success_marker(built):
    dir_dump = built["paths"][0]
    success = dir_dump / "_SUCCESS"
    assert success.is_file() and success.stat().st_size == 0
    # only repo folders besides _SUCCESS; no symlinks anywhere
    for p in dir_dump.iterdir():
        assert p.name == "_SUCCESS" or p.is_dir()
    for root, dirs, files in os.walk(dir_dump):
        for name in dirs + files:
            assert not os.path.islink(os.path.join(root, name))


def test_archive_is_valid_targz_with_manifests(built):
    archive = built["paths"][1]
    with open(archive, "rb") as fh:
        assert fh.read(2) == b"\x1f\x8b"
    with gzip.open(archive) as gz:  # the whole stream decompresses (CRC checked at the end)
        while gz.read(1 << 22):
            pass
    assert tarfile.is_tarfile(archive)
    names = built["tar_names"]
    assert all(n == "demo-2024-02" or n.startswith("demo-2024-02/") for n in names)
    manifests = [n for n in names if n.endswith("/" + bd.MANIFEST_NAME)]
    repos = {n.split("/")[1] for n in names if n.count("/") >= 1}
    assert len(manifests) >= 10
    assert len(manifests) == len(repos)
    assert "demo-2024-02/_SUCCESS" not in names


def test_every_repo_has_a_valid_manifest(built):
    manifests = _manifests(built)
    repos = {(dump, repo) for dump, repo, *_ in _all_files(built)}
    assert repos == set(manifests)
    assert sum(1 for d, _ in manifests if d == bd.DUMP_DIR_NAME) >= 10
    assert sum(1 for d, _ in manifests if d == bd.DUMP_ARCHIVE_NAME) >= 10
    window_end = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=4 * 365)
    for (dump, folder), m in manifests.items():
        assert set(m) == MANIFEST_KEYS, (dump, folder)
        assert isinstance(m["name"], str) and m["name"].count("/") == 1
        assert m["name"].replace("/", "__") == folder
        assert isinstance(m["stars"], int) and not isinstance(m["stars"], bool)
        assert 0 <= m["stars"] < 5000
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", m["last_commit"])
        when = dt.datetime.strptime(m["last_commit"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
        assert dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc) <= when < window_end
        assert m["last_commit"] == bd.demo_last_commit(m["name"])
        assert m["license"] is None or isinstance(m["license"], str)
        assert isinstance(m["source"], str) and m["source"].startswith("demo:/")
        if m["name"].startswith("python/cpython-"):
            assert m["license"] == "PSF-2.0"


def test_demo_stars_and_mirrors(built):
    by_name = {m["name"]: m for m in _manifests(built).values()}
    mirrors = [n for n in by_name if n.startswith("mirror/")]
    assert mirrors, "expected a mirror/fork repository"
    for name, m in by_name.items():
        if name.startswith("mirror/"):
            orig = by_name["python/" + name.split("/", 1)[1]]
            assert m["stars"] < orig["stars"]
        else:
            assert m["stars"] == int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % 5000


def test_duplicates_across_and_within_dumps(built):
    where: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for dump, repo, rel, size, sha, _ in _all_files(built):
        if rel != bd.MANIFEST_NAME and size > 0:
            where[sha].add((dump, repo))
    across = [s for s, locs in where.items() if len({d for d, _ in locs}) == 2]
    assert across, "no file content appears in both dumps"
    within = [s for s, locs in where.items()
              if any(sum(1 for d, _ in locs if d == dump) >= 2 for dump in (bd.DUMP_DIR_NAME, bd.DUMP_ARCHIVE_NAME))]
    assert within, "no file content appears in two repositories of the same dump"


def test_big_and_binary_files(built):
    files = _all_files(built)
    assert any(size > BIG for *_, size, _, _ in files), "no file > 8 MB"
    assert any(nul for *_, nul in files), "no binary file (with NUL bytes)"


def test_size_in_expected_range(built):
    total = sum(size for *_, size, _, _ in _all_files(built))
    assert 100e6 <= total <= 350e6, total


def test_deterministic_rebuild(built, tmp_path):
    dir_dump, archive = bd.build_demo_dumps(tmp_path / "again", scale=1)
    assert dir_fingerprint(dir_dump) == built["dir_fp"]
    names, files = tar_fingerprint(archive)
    assert names == built["tar_names"]
    assert files == built["tar_fp"]
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == built["archive_sha"]


def test_demo_metadata_functions():
    assert bd.demo_stars("python/cpython-3.12") == int(
        hashlib.sha256(b"python/cpython-3.12").hexdigest()[:8], 16) % 5000
    secs = int(hashlib.sha256(b"x/y").hexdigest()[8:16], 16) % (4 * 365 * 86400)
    expect = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=secs)
    assert bd.demo_last_commit("x/y") == expect.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert bd.repo_dir_name("pypi/pip") == "pypi__pip"


def test_cli_rejects_bad_scale(tmp_path):
    with pytest.raises(SystemExit):
        bd.main(["--landing", str(tmp_path), "--scale", "0"])
    assert list(tmp_path.iterdir()) == []
