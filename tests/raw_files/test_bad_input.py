"""Bad input of every kind gets a clear error or a recorded drop naming the file and the reason."""

from __future__ import annotations

import dataclasses
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from codelake.dumps import DumpError
from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.raw_files import IngestRules, run_raw_files
from dumpfactory import MANIFEST, manifest, small_repos, write_dir_dump, write_tar_dump, write_zip_dump


def drops(lake: Lake) -> dict[str, tuple[str, str]]:
    """path -> (reason, detail) of raw_files drops."""
    con = connect(lake)
    rows = con.execute("SELECT path, reason, detail FROM lineage WHERE stage = 'raw_files'").fetchall()
    return {path: (reason, detail) for path, reason, detail in rows}


def kept_paths(lake: Lake) -> set[str]:
    return {r["path"] for r in lake.dataset("raw_files").to_table(columns=["path"]).to_pylist()}


def test_file_level_drops_each_name_the_file_and_reason(tmp_path):
    repos = small_repos()
    repos["alice__tools"].update(
        {
            "bad/latin1.py": "caf\u00e9 = 1\n".encode("latin-1"),
            "bad/nul.c": b"int x;\0\0\0 binary",
            "bad/empty.py": b"",
            "bad/big.py": b"#" * 5000,
            "bad/unknown.qqqzzz": b"what is this",
        }
    )
    dump = write_dir_dump(tmp_path / "dump-a", repos)
    rules = dataclasses.replace(IngestRules.load(), max_file_bytes=4096)
    lake = Lake(tmp_path / "lake")
    report = run_raw_files(lake, dump, rules)
    found = drops(lake)
    assert found["bad/latin1.py"][0] == "invalid_utf8" and "byte 3" in found["bad/latin1.py"][1]
    assert found["bad/nul.c"][0] == "binary" and "offset 6" in found["bad/nul.c"][1]
    assert found["bad/empty.py"][0] == "empty"
    assert found["bad/big.py"][0] == "too_large" and "5000 bytes" in found["bad/big.py"][1]
    assert found["bad/unknown.qqqzzz"][0] == "unsupported_language"
    assert kept_paths(lake) == {"tools/util.py", "src/main.c", "README.md", "lib/util.py", "lib/other.py"}
    assert report.rows_in == report.rows_kept + report.rows_dropped == 10


def test_symlinks_are_never_followed_and_say_where_they_point(tmp_path):
    secret = tmp_path / "outside-secret.py"
    secret.write_text("PASSWORD = 'hunter2'\n")
    dump = write_dir_dump(tmp_path / "dump-links", small_repos())
    os.symlink(secret, dump / "alice__tools" / "escape.py")
    os.symlink("../README.md", dump / "alice__tools" / "src" / "inside.md")
    os.mkfifo(dump / "alice__tools" / "pipe.py")
    lake = Lake(tmp_path / "lake")
    run_raw_files(lake, dump)
    found = drops(lake)
    assert found["escape.py"][0] == "symlink" and "outside the dump" in found["escape.py"][1]
    assert found["src/inside.md"][0] == "symlink" and "inside the dump" in found["src/inside.md"][1]
    assert found["pipe.py"][0] == "special_file"
    texts = lake.dataset("raw_files").to_table(columns=["text"]).column("text").to_pylist()
    assert not any("hunter2" in t for t in texts)


def test_unreadable_file_is_a_recorded_drop(tmp_path, monkeypatch):
    dump = write_dir_dump(tmp_path / "dump-perm", small_repos())
    target = str(dump / "bob__fork" / "lib" / "other.py")
    real_open = os.open

    def deny(path, flags, *args, **kwargs):
        if str(path) == target:
            raise PermissionError(13, "Permission denied", target)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    lake = Lake(tmp_path / "lake")
    run_raw_files(lake, dump)
    reason, detail = drops(lake)["lib/other.py"]
    assert reason == "unreadable" and "Permission denied" in detail


def test_manifest_problems_drop_the_repository_files_with_the_manifest_named(tmp_path):
    repos = small_repos()
    repos["nomanifest"] = {"a.py": b"x = 1\n"}
    repos["badjson"] = {MANIFEST: b"{not json", "b.py": b"y = 2\n"}
    repos["negstars"] = {MANIFEST: manifest("neg/stars", stars=-1), "c.py": b"z = 3\n"}
    repos["naive_time"] = {MANIFEST: manifest("naive/time", last_commit="2024-01-01T00:00:00"), "d.py": b"w = 4\n"}
    repos["zz_duplicate"] = {MANIFEST: manifest("alice/tools"), "e.py": b"v = 5\n"}
    dump = write_dir_dump(tmp_path / "dump-m", repos)
    lake = Lake(tmp_path / "lake")
    run_raw_files(lake, dump)
    found = drops(lake)
    assert found["a.py"][0] == "manifest_missing" and "nomanifest/.codelake.json" in found["a.py"][1]
    assert found["b.py"][0] == "manifest_invalid" and "badjson/.codelake.json" in found["b.py"][1]
    assert found["c.py"][0] == "manifest_invalid" and "stars" in found["c.py"][1]
    assert found["d.py"][0] == "manifest_invalid" and "timezone" in found["d.py"][1]
    assert found["e.py"][0] == "duplicate_repo" and "alice__tools" in found["e.py"][1]


def test_file_at_dump_root_is_outside_any_repository(tmp_path):
    repos = small_repos()
    dump = write_dir_dump(tmp_path / "dump-root", repos)
    (dump / "stray.py").write_text("print(1)\n")
    lake = Lake(tmp_path / "lake")
    run_raw_files(lake, dump)
    assert drops(lake)["stray.py"][0] == "outside_repository"


@pytest.mark.parametrize("fmt", ["tar", "zip"])
def test_traversal_and_absolute_paths_in_archives_are_dropped_and_nothing_is_written_outside(tmp_path, fmt):
    work = tmp_path / "work"
    work.mkdir()
    evil = ["../evil.py", "/tmp/codelake-absolute-evil.py", "alice__tools/../../evil2.py"]
    if fmt == "tar":
        extra = []
        for name in evil:
            info = tarfile.TarInfo(name)
            info.size = 5
            extra.append(info)
        link = tarfile.TarInfo("alice__tools/passwd.py")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        extra.append(link)
        dump = write_tar_dump(work / "dump-evil.tar.gz", small_repos(), extra=extra)
    else:
        dump = write_zip_dump(work / "dump-evil.zip", small_repos(), raw_members=[(n, b"x = 1") for n in evil])
    lake = Lake(work / "lake")
    report = run_raw_files(lake, dump)
    found = drops(lake)
    for name in evil:
        assert found[name][0] == "unsafe_path", name
    if fmt == "tar":
        assert found["passwd.py"][0] == "symlink"
    assert not (tmp_path / "evil.py").exists() and not Path("/tmp/codelake-absolute-evil.py").exists()
    assert report.rows_kept == 5


def test_zip_bomb_member_is_dropped_without_inflating_it(tmp_path):
    path = tmp_path / "dump-bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in [("alice__tools/.codelake.json", manifest("alice/tools")), ("alice__tools/ok.py", b"x = 1\n")]:
            archive.writestr(name, data)
        archive.writestr("alice__tools/bomb.py", b"\0" * (40 << 20))
    lake = Lake(tmp_path / "lake")
    run_raw_files(lake, path)
    reason, detail = drops(lake)["bomb.py"]
    assert reason == "compression_bomb" and "ratio" in detail
    assert kept_paths(lake) == {"ok.py"}


def test_archive_declaring_more_than_the_limit_is_refused(tmp_path):
    dump = write_tar_dump(tmp_path / "dump-huge.tar", small_repos())
    rules = IngestRules.load()
    rules = dataclasses.replace(rules, archive=dataclasses.replace(rules.archive, max_total_uncompressed_bytes=64))
    with pytest.raises(DumpError, match="refused as a bomb"):
        run_raw_files(Lake(tmp_path / "lake"), dump, rules)


@pytest.mark.parametrize("suffix", [".tar.gz", ".zip"])
def test_corrupt_and_truncated_archives_fail_clearly_and_keep_the_lake(tmp_path, suffix):
    lake = Lake(tmp_path / "lake")
    good = write_dir_dump(tmp_path / "dump-good", small_repos())
    run_raw_files(lake, good)
    version = lake.version("raw_files")
    whole = (write_tar_dump if suffix == ".tar.gz" else write_zip_dump)(tmp_path / f"whole{suffix}", small_repos())
    truncated = tmp_path / f"dump-cut{suffix}"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    garbage = tmp_path / f"dump-junk{suffix}"
    garbage.write_bytes(os.urandom(4096))
    for bad in (truncated, garbage):
        with pytest.raises(DumpError) as err:
            run_raw_files(lake, bad)
        assert str(bad) in str(err.value) and ("corrupt" in str(err.value) or "truncated" in str(err.value))
    assert lake.version("raw_files") == version
    assert lake.count("raw_files") == 5


@pytest.mark.parametrize("fmt", ["tar", "zip"])
def test_archive_with_top_folder_named_like_the_dump_is_read_the_same(tmp_path, fmt):
    lake = Lake(tmp_path / "lake")
    if fmt == "tar":
        top_dir = tarfile.TarInfo("dump-top")
        top_dir.type = tarfile.DIRTYPE
        dump = write_tar_dump(tmp_path / "dump-top.tar.gz", small_repos(), top="dump-top", extra=[top_dir])
    else:
        dump = write_zip_dump(tmp_path / "dump-top.zip", small_repos(), top="dump-top", raw_members=[("dump-top/", b"")])
    report = run_raw_files(lake, dump)
    assert report.rows_kept == 5 and report.rows_dropped == 0
    repos = {r["repo"] for r in lake.dataset("raw_files").to_table(columns=["repo"]).to_pylist()}
    assert repos == {"alice/tools", "bob/fork"}
