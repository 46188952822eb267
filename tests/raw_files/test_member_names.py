"""Names that are not UTF-8, hold control characters or are too long for a file system: each such member is a
recorded drop with the name shown escaped, the rest of the dump is ingested; whole-dump errors name the
dump and the member that caused them."""

from __future__ import annotations

import os

import pytest

from codelake.cli.main import main
from codelake.dumps import DumpError
from codelake.ids import doc_id
from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.languages import LanguageTable
from codelake.raw_files import run_raw_files
from dumpfactory import MANIFEST, manifest, tar_member, write_dir_dump, write_raw_zip, write_tar_members

LATIN1 = b"caf\xff.py".decode("utf-8", "surrogateescape")  # what a Latin-1 crawl's name looks like


def _drops(lake: Lake) -> dict[str, tuple[str, str, str]]:
    """path as stored in the lineage -> (reason, detail, doc_id)."""
    con = connect(lake)
    try:
        rows = con.execute("SELECT path, reason, detail, doc_id FROM lineage WHERE stage = 'raw_files'").fetchall()
    finally:
        con.close()
    return {path: (reason, detail, doc) for path, reason, detail, doc in rows}


def _kept(lake: Lake) -> set[str]:
    return {r["path"] for r in lake.dataset("raw_files").to_table(columns=["path"]).to_pylist()}


@pytest.mark.parametrize("fmt", ["tar", "tar.gz", "zip", "dir"])
def test_undecodable_names_drop_and_the_rest_is_ingested(tmp_path, fmt):
    names = {
        "ok.py": b"ok = 1\n",
        LATIN1: b"y = 2\n",
        "new\nline.py": b"z = 3\n",
        "bell\x07.py": b"w = 4\n",
        "x" * 300 + ".py": b"v = 5\n",
    }
    if fmt == "dir":  # Linux file names are bytes: all of these can be created except the too-long one
        del names["x" * 300 + ".py"]
        files = {os.fsencode(n): d for n, d in names.items()}
        root = tmp_path / "dump-names"
        (root / "repo").mkdir(parents=True)
        (root / "repo" / MANIFEST).write_bytes(manifest("o/r"))
        for name, data in files.items():
            with open(os.path.join(os.fsencode(root / "repo"), name), "wb") as out:
                out.write(data)
        (root / "_SUCCESS").write_bytes(b"")
        dump = root
    elif fmt == "zip":
        members = [(f"repo/{MANIFEST}".encode(), manifest("o/r"))] + [(f"repo/{n}".encode("utf-8", "surrogateescape"), d) for n, d in names.items()]
        dump = write_raw_zip(tmp_path / "dump-names.zip", members)
    else:
        members = [tar_member(f"repo/{MANIFEST}", manifest("o/r"))] + [tar_member(f"repo/{n}", d) for n, d in names.items()]
        dump = write_tar_members(tmp_path / f"dump-names.{fmt}", members)
    lake = Lake(tmp_path / "lake")
    report = run_raw_files(lake, dump)
    assert _kept(lake) == {"ok.py"}
    drops = _drops(lake)
    reason, detail, doc = drops["caf\\xff.py"]
    assert reason == "undecodable_path" and "repo/caf\\xff.py" in detail
    assert doc == doc_id("dump-names", "repo", LATIN1)  # the id hashes the name's real bytes
    assert drops["new\\nline.py"][0] == "unprintable_path" and "U+000A" in drops["new\\nline.py"][1]
    assert drops["bell\\x07.py"][0] == "unprintable_path"
    if fmt != "dir":
        assert drops["x" * 300 + ".py"][0] == "path_too_long"
    assert report.rows_in == len(names) and report.rows_kept == 1


def test_zip_flagged_utf8_with_names_that_are_not_and_legacy_names(tmp_path):
    members = [
        (f"repo/{MANIFEST}".encode(), manifest("o/r")),
        (b"repo/ok.py", b"ok = 1\n"),
        (b"repo/caf\xff.py", b"y = 2\n"),  # flagged UTF-8, is not: zipfile alone refuses the whole archive
        (b"repo/l\xe9gacy.py", b"z = 3\n"),  # no flag, Latin-1: not guessed, dropped
        (b"repo/\xc3\xa9t\xc3\xa9.py", b"w = 4\n"),  # no flag, UTF-8 (as many tools write it): kept
    ]
    lake = Lake(tmp_path / "lake")
    run_raw_files(lake, write_raw_zip(tmp_path / "dump-z.zip", members, utf8_flag=[True, True, True, False, False]))
    assert _kept(lake) == {"ok.py", "été.py"}
    drops = _drops(lake)
    assert drops["caf\\xff.py"][0] == drops["l\\xe9gacy.py"][0] == "undecodable_path"


def test_a_repository_folder_that_is_not_utf8_drops_its_files_named_escaped(tmp_path):
    folder = b"r\xe9po".decode("utf-8", "surrogateescape")
    members = [
        tar_member(f"{folder}/{MANIFEST}", manifest("o/latin")),
        tar_member(f"{folder}/a.py", b"a = 1\n"),
        tar_member(f"good/{MANIFEST}", manifest("o/good")),
        tar_member("good/b.py", b"b = 1\n"),
    ]
    lake = Lake(tmp_path / "lake")
    run_raw_files(lake, write_tar_members(tmp_path / "dump-f.tar", members))
    assert _kept(lake) == {"b.py"}
    con = connect(lake)
    (repo, path, reason), = con.execute("SELECT repo, path, reason FROM lineage WHERE stage = 'raw_files'").fetchall()
    assert (repo, path, reason) == ("r\\xe9po", "a.py", "undecodable_path")


def test_manifest_strings_a_table_cannot_hold_make_the_manifest_invalid(tmp_path):
    bad = b'{"name": "o/\\ud800", "stars": 1, "last_commit": "2024-01-01T00:00:00Z", "license": null, "source": "x"}'
    dump = write_dir_dump(tmp_path / "dump-m", {"repo": {MANIFEST: bad, "a.py": b"a = 1\n"}})
    lake = Lake(tmp_path / "lake")
    run_raw_files(lake, dump)
    reason, detail, _ = _drops(lake)["a.py"]
    assert reason == "manifest_invalid" and "'name'" in detail and "\\ud800" in detail


def test_a_member_that_breaks_the_run_is_named_with_the_dump(tmp_path, monkeypatch):
    members = [tar_member(f"repo/{MANIFEST}", manifest("o/r")), tar_member("repo/ok.py", b"1\n"), tar_member("repo/boom.py", b"2\n")]
    dump = write_tar_members(tmp_path / "dump-boom.tar", members)
    real_detect = LanguageTable.detect

    def detect(self, path):
        if path == "boom.py":
            raise RuntimeError("language table broke")
        return real_detect(self, path)

    monkeypatch.setattr(LanguageTable, "detect", detect)
    lake = Lake(tmp_path / "lake")
    with pytest.raises(DumpError) as err:
        run_raw_files(lake, dump)
    message = str(err.value)
    assert str(dump) in message and "'repo/boom.py'" in message and "RuntimeError: language table broke" in message
    assert not lake.exists("raw_files")


def test_a_truncated_tar_names_the_member_it_broke_after(tmp_path):
    members = [tar_member(f"repo/{MANIFEST}", manifest("o/r"))] + [tar_member(f"repo/m{i}.py", os.urandom(3000)) for i in range(5)]
    whole = write_tar_members(tmp_path / "whole.tar", members)
    cut = tmp_path / "dump-cut.tar"
    cut.write_bytes(whole.read_bytes()[:9000])
    with pytest.raises(DumpError) as err:
        run_raw_files(Lake(tmp_path / "lake"), cut)
    assert str(cut) in str(err.value) and "truncated" in str(err.value) and "member 'repo/" in str(err.value)


def test_a_dump_whose_own_name_is_not_utf8_is_refused_by_name(tmp_path):
    name = os.path.join(os.fsencode(tmp_path), b"dump-\xff.tar")
    with open(name, "wb") as out:
        out.write(write_tar_members(tmp_path / "x.tar", [tar_member("repo/a.py", b"1\n")]).read_bytes())
    with pytest.raises(DumpError, match=r"dump-\\xff"):
        run_raw_files(Lake(tmp_path / "lake"), os.fsdecode(name))


def test_cli_ingests_a_tar_with_a_latin1_name_and_reports_the_drop(tmp_path, capsys):
    members = [tar_member(f"repo/{MANIFEST}", manifest("o/r")), tar_member("repo/ok.py", b"ok = 1\n"), tar_member(f"repo/{LATIN1}", b"y = 2\n")]
    dump = write_tar_members(tmp_path / "dump-cli.tar", members)
    assert main(["run", "raw_files", "--input", str(dump), "--output", str(tmp_path / "lake")]) == 0
    err = capsys.readouterr().err
    assert "1 kept" in err and "undecodable_path=1" in err
