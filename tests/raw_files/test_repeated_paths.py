"""One path twice in an archive: the last copy is kept (what extraction leaves), each earlier copy is a
`duplicate_path` drop with a doc_id of its own naming the kept copy; `codelake why` finds every copy."""

from __future__ import annotations

import pytest

from codelake.checks import conservation, duplicate_doc_ids
from codelake.cli.main import main
from codelake.exact_dedup import run_exact_dedup
from codelake.ids import doc_id
from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.raw_files import run_raw_files
from dumpfactory import MANIFEST, manifest, tar_member, write_raw_zip, write_tar_members


def _lineage(lake: Lake) -> list[tuple]:
    con = connect(lake)
    try:
        return con.execute("SELECT doc_id, reason, detail, repo, path FROM lineage WHERE stage = 'raw_files' ORDER BY detail").fetchall()
    finally:
        con.close()


def _write(fmt: str, tmp_path, members: list[tuple[str, bytes]]):
    if fmt == "zip":
        return write_raw_zip(tmp_path / "dump-rep.zip", [(n.encode(), d) for n, d in members])
    return write_tar_members(tmp_path / f"dump-rep.{fmt}", [tar_member(n, d) for n, d in members])


@pytest.mark.parametrize("fmt", ["zip", "tar", "tar.gz"])
def test_the_last_copy_is_kept_and_earlier_ones_drop_naming_it(tmp_path, fmt):
    members = [
        (f"repo/{MANIFEST}", manifest("o/r", stars=1)),
        ("repo/a.py", b"first = 1\n"),
        ("repo/b.py", b"b = 1\n"),
        ("repo/a.py", b"second = 2\n"),
        ("./repo/a.py", b"third = 3\n"),  # the same path, spelled differently
        (f"repo/{MANIFEST}", manifest("o/r", stars=7)),  # a repeated manifest: the last one counts too
    ]
    lake = Lake(tmp_path / "lake")
    report = run_raw_files(lake, _write(fmt, tmp_path, members))
    rows = {r["path"]: r for r in lake.dataset("raw_files").to_table().to_pylist()}
    assert set(rows) == {"a.py", "b.py"}
    kept = doc_id("dump-rep", "repo", "a.py")
    assert rows["a.py"]["text"] == "third = 3\n" and rows["a.py"]["doc_id"] == kept and rows["a.py"]["stars"] == 7
    drops = _lineage(lake)
    assert [(r[1], r[4]) for r in drops] == [("duplicate_path", "a.py")] * 2
    assert {r[0] for r in drops} == {doc_id("dump-rep", "repo", "a.py", 1), doc_id("dump-rep", "repo", "a.py", 2)}
    for number, (_, _, detail, repo, _) in enumerate(drops, start=1):
        assert f"3 times; this is copy {number}" in detail and kept in detail and repo == "o/r"
    assert report.rows_in == 4 and report.drops_by_reason == {"duplicate_path": 2}
    assert conservation(lake, "raw_files", report.version, report.rows_in).holds
    assert duplicate_doc_ids(lake, "raw_files", report.version) == 0
    # exact_dedup keeps one row per doc_id downstream
    dedup = run_exact_dedup(lake)
    assert duplicate_doc_ids(lake, "exact_dedup", dedup.version) == 0


def test_why_finds_every_copy_of_a_repeated_path(tmp_path, capsys):
    members = [(f"repo/{MANIFEST}", manifest("o/r")), ("repo/a.py", b"old = 1\n"), ("repo/a.py", b"new = 2\n")]
    dump = write_raw_zip(tmp_path / "dump-why.zip", [(n.encode(), d) for n, d in members])
    lake = str(tmp_path / "lake")
    assert main(["run", "raw_files", "--input", str(dump), "--output", lake]) == 0
    capsys.readouterr()
    assert main(["--lake", lake, "why", "o/r/a.py"]) == 0
    out = capsys.readouterr().out
    kept, dropped = doc_id("dump-why", "repo", "a.py"), doc_id("dump-why", "repo", "a.py", 1)
    assert kept in out and dropped in out and "duplicate_path" in out and "kept" in out


def test_repeated_unsafe_and_linked_members_still_get_ids_of_their_own(tmp_path):
    members = [
        tar_member(f"repo/{MANIFEST}", manifest("o/r")),
        tar_member("../evil.py", b"x = 1\n"),
        tar_member("../evil.py", b"x = 2\n"),
        tar_member("repo/link.py", kind="symlink", target="/etc/passwd"),
        tar_member("repo/link.py", b"ok = 1\n"),  # the last copy wins even over another kind
    ]
    lake = Lake(tmp_path / "lake")
    report = run_raw_files(lake, write_tar_members(tmp_path / "dump-mix.tar", members))
    drops = _lineage(lake)
    ids = [r[0] for r in drops] + [r["doc_id"] for r in lake.dataset("raw_files").to_table(columns=["doc_id"]).to_pylist()]
    assert len(ids) == len(set(ids)) == report.rows_in == 4
    assert sorted(r[1] for r in drops) == ["duplicate_path", "unsafe_path", "unsafe_path"]
    assert lake.dataset("raw_files").to_table(columns=["text"]).column("text").to_pylist() == ["ok = 1\n"]
