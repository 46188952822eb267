"""Retiring a dump: its rows leave as new versions with `retired` lineage, survivors are re-decided, time travel keeps the past."""

from __future__ import annotations

import pytest

from codelake.checks import conservation, duplicate_doc_ids
from codelake.dumps.landing import retirement_of, scan_landing_zone
from codelake.exact_dedup import run_exact_dedup
from codelake.fuzzy_dedup import load_preset, run_fuzzy_dedup
from codelake.lake import Lake
from codelake.lake.sql import connect, delta_scan
from codelake.lifecycle.optout import OptOutList
from codelake.lifecycle.retire import RetireError, retire_dump
from codelake.raw_files import run_raw_files
from lifecycle_dumps import write_two_dumps

NONE = OptOutList()


def _kept(lake: Lake, stage: str, version: int | None = None) -> dict[tuple[str, str], str]:
    con = connect(lake)
    try:
        rows = con.execute(f"SELECT repo, path, dump FROM {delta_scan(lake, stage, version)}").fetchall()
    finally:
        con.close()
    return {(repo, path): dump for repo, path, dump in rows}


@pytest.fixture
def two_dump_lake(tmp_path):
    landing = tmp_path / "landing"
    a, b = write_two_dumps(landing)
    lake = Lake(tmp_path / "lake")
    run_raw_files(lake, a, optout=NONE)
    run_raw_files(lake, b, optout=NONE)
    run_exact_dedup(lake, optout=NONE)
    run_fuzzy_dedup(lake, load_preset("jaccard-0.8"))
    return lake, landing


def test_retire_the_dump_holding_the_survivors_brings_the_other_copies_back(two_dump_lake, tmp_path):
    lake, landing = two_dump_lake
    exact_before, fuzzy_before = lake.version("exact_dedup"), lake.version("fuzzy_dedup")
    raw_before = lake.version("raw_files")
    # before: dump-b (500 stars) holds the survivors of both the exact and the near duplicate
    assert ("carol/app", "app/util.py") not in _kept(lake, "exact_dedup")
    assert _kept(lake, "exact_dedup")[("dave/lib", "lib/util.py")] == "dump-b"
    assert ("carol/app", "app/near.py") not in _kept(lake, "fuzzy_dedup")

    result = retire_dump(lake, "dump-b", "bad crawl: truncated files", "ops-team", landing=landing, training_runs=tmp_path / "runs")

    assert result.files_retired == 3 and result.earlier_drops == 0 and result.checks_pass
    assert result.raw_files_version == raw_before + 1
    assert [r.report.stage for r in result.rebuilt] == ["exact_dedup", "fuzzy_dedup"]  # the stages the lake holds
    exact, fuzzy = _kept(lake, "exact_dedup"), _kept(lake, "fuzzy_dedup")
    assert exact[("carol/app", "app/util.py")] == "dump-a"  # kept again: its survivor is gone
    assert fuzzy[("carol/app", "app/near.py")] == "dump-a"
    assert not any(dump == "dump-b" for dump in exact.values())
    assert _kept(lake, "raw_files").keys() == {("carol/app", p) for p in ("app/util.py", "app/near.py", "app/own.py", "secrets/keys.py")}
    # lineage: a `retired` drop per file, naming who and why, stamped with the new raw_files version
    con = connect(lake)
    try:
        rows = con.execute("SELECT path, version, detail FROM lineage WHERE stage = 'raw_files' AND reason = 'retired' ORDER BY path").fetchall()
        dup_rows = con.execute("SELECT count(*) FROM lineage WHERE stage = 'exact_dedup' AND dump = 'dump-b'").fetchone()[0]
    finally:
        con.close()
    assert [r[0] for r in rows] == ["lib/near.py", "lib/own.py", "lib/util.py"]
    assert {r[1] for r in rows} == {result.raw_files_version}
    assert all("ops-team" in r[2] and "bad crawl: truncated files" in r[2] for r in rows)
    assert dup_rows == 0  # no downstream decision about the retired files remains
    # checks recomputed from the lake, and time travel still shows the earlier state
    assert conservation(lake, "raw_files", result.raw_files_version, 3, "dump-b").holds
    assert duplicate_doc_ids(lake, "exact_dedup", lake.version("exact_dedup")) == 0
    assert _kept(lake, "exact_dedup", exact_before)[("dave/lib", "lib/util.py")] == "dump-b"
    assert ("dave/lib", "lib/near.py") in _kept(lake, "fuzzy_dedup", fuzzy_before)
    assert len(_kept(lake, "raw_files", raw_before)) == 7
    # the landing zone keeps the dump but the sensor's scan will not take it again
    assert retirement_of(landing, "dump-b")["by"] == "ops-team"
    ready, skipped = scan_landing_zone(landing, settle_seconds=0)
    assert [d.name for d in ready] == ["dump-a"]
    assert any("retired" in s.why and s.path.name == "dump-b" for s in skipped)


def test_retire_refuses_unknown_repeated_or_unexplained(two_dump_lake):
    lake, landing = two_dump_lake
    version = lake.version("raw_files")
    with pytest.raises(RetireError, match="not in"):
        retire_dump(lake, "dump-zz", "x", "me", landing=landing)
    with pytest.raises(RetireError, match="needs a reason"):
        retire_dump(lake, "dump-a", "  ", "me", landing=landing)
    assert lake.version("raw_files") == version and retirement_of(landing, "dump-a") is None  # nothing changed
    retire_dump(lake, "dump-a", "withdrawn", "me", landing=landing)
    with pytest.raises(RetireError, match="already retired"):
        retire_dump(lake, "dump-a", "again", "me", landing=landing)


def test_retire_keeps_a_dumps_earlier_drops_so_rows_still_add_up(tmp_path):
    from dumpfactory import MANIFEST, manifest, write_dir_dump

    dump = write_dir_dump(tmp_path / "landing" / "dump-c", {
        "erin__x": {MANIFEST: manifest("erin/x"), "a.py": b"a = 1\n", "b.bin": b"\0\1", "empty.py": b""},
    })
    lake = Lake(tmp_path / "lake")
    report = run_raw_files(lake, dump, optout=NONE)
    members = report.rows_in
    result = retire_dump(lake, "dump-c", "test", "me")  # no landing zone: no tombstone
    assert result.tombstone is None and result.files_retired == 1 and result.earlier_drops == members - 1
    assert conservation(lake, "raw_files", result.raw_files_version, members, "dump-c").holds
    assert result.rebuilt == []  # no whole-lake stage yet: nothing to rebuild
