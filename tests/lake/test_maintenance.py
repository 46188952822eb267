"""Compaction merges small files without changing a row or an incremental stage's state; vacuum lists, then
deletes, exactly the files no version within the horizon needs."""

from __future__ import annotations

from pathlib import Path

import pyarrow.dataset as ds
import pytest

from codelake.checks import conservation, duplicate_doc_ids
from codelake.cli.main import main
from codelake.lake import Lake
from codelake.lake.lineage import LINEAGE_SCHEMA
from codelake.lake.maintenance import MaintenanceRules, compact, vacuum
from smallfilesfactory import add_dump, data_files, table_rows, three_dumps

RULES = MaintenanceRules(target_file_mb=64, retain_hours=168)


@pytest.fixture(scope="module")
def dumps(tmp_path_factory) -> list[Path]:
    return three_dumps(tmp_path_factory.mktemp("landing"))


def test_compaction_keeps_every_row_and_the_stages_stay_incremental(dumps, tmp_path):
    lake, scratch = Lake(tmp_path / "lake"), Lake(tmp_path / "scratch")
    for dump in dumps[:2]:
        add_dump(lake, dump)
    rows, files, version = table_rows(lake, "transformed"), data_files(lake, "transformed"), lake.version("transformed")
    lineage_files, lineage_version = data_files(lake, "lineage"), lake.version("lineage")
    assert files >= 6  # a file per task

    results = {r.table: r for r in compact(lake, ["transformed", "lineage"], RULES)}
    done = results["transformed"]
    assert done.committed and done.version_after == version + 1 == lake.version("transformed")
    assert done.files_before == files and done.files_after == data_files(lake, "transformed") == 2  # one per dump partition
    assert table_rows(lake, "transformed") == rows  # the same rows, fewer files
    assert table_rows(lake, "transformed", version) == rows  # and the earlier version still reads
    # the lineage holds one file per (stage, dump) partition already: nothing to merge, no new version
    assert not results["lineage"].committed and lake.version("lineage") == lineage_version and data_files(lake, "lineage") == lineage_files
    assert not compact(lake, ["transformed"], RULES)[0].committed

    added = add_dump(lake, dumps[2])
    increment = added["transformed"].tables["increment"][0]
    assert increment["mode"] == "incremental" and increment["dumps_decided"] == "dump-cid"  # the state survived OPTIMIZE
    for dump in dumps:
        add_dump(scratch, dump)
    assert table_rows(lake, "transformed") == table_rows(scratch, "transformed")
    # the columns sorted by name: action, detail, doc_id, dump, path, reason, repo, stage, version (left out: stamps differ)
    lineage = [r[:8] for r in table_rows(lake, "lineage") if r[7] == "transformed"]
    assert lineage == [r[:8] for r in table_rows(scratch, "lineage") if r[7] == "transformed"] and len(lineage) == 3
    version = lake.version("transformed")
    assert conservation(lake, "transformed", version, lake.count("fuzzy_dedup")).holds
    assert duplicate_doc_ids(lake, "transformed", version) == 0


def test_a_table_with_lineage_from_a_crashed_run_is_not_compacted(dumps, tmp_path):
    lake = Lake(tmp_path / "lake")
    add_dump(lake, dumps[0])
    version = lake.version("transformed")
    # what a run killed between its lineage commit and its table commit leaves: rows stamped version + 1
    stale = lake.dataset("lineage").to_table(filter=ds.field("stage") == "transformed").slice(0, 1)
    stale = stale.set_column(stale.schema.get_field_index("version"), "version", [[version + 1]])
    lake.write("lineage", stale.cast(LINEAGE_SCHEMA).to_batches(), LINEAGE_SCHEMA, partition_by=["stage", "dump"], append=True)
    result = compact(lake, ["transformed"], RULES)[0]
    assert not result.committed and "1 lineage rows stamped past version" in result.skipped
    assert lake.version("transformed") == version


def test_vacuum_lists_then_deletes_only_files_no_kept_version_needs(dumps, tmp_path):
    lake = Lake(tmp_path / "lake")
    add_dump(lake, dumps[0])
    add_dump(lake, dumps[1])
    assert compact(lake, ["transformed"], RULES)[0].committed
    current = table_rows(lake, "transformed")
    old_version = lake.version("transformed") - 1
    with pytest.raises(ValueError, match="below Delta's 168 h"):
        vacuum(lake, ["transformed"], RULES, retain_hours=0)
    assert vacuum(lake, ["transformed"], RULES)[0].files == []  # every file is younger than 7 days

    listed = vacuum(lake, ["transformed"], RULES, retain_hours=0, force=True)[0]
    assert not listed.deleted and listed.files and listed.bytes > 0
    assert all((lake.table_path("transformed") / f).exists() for f in listed.files)  # a dry run deletes nothing
    live = {Path(uri).name for uri in lake.table("transformed").file_uris()}
    assert not live & {Path(f).name for f in listed.files}  # never a file the current version reads

    done = vacuum(lake, ["transformed"], RULES, retain_hours=0, delete=True, force=True)[0]
    assert done.deleted and done.files == listed.files
    assert not any((lake.table_path("transformed") / f).exists() for f in listed.files)
    assert table_rows(lake, "transformed") == current
    with pytest.raises(Exception, match="not found|No such file"):
        table_rows(lake, "transformed", old_version)  # before the horizon: no longer readable
    assert vacuum(lake, ["transformed"], RULES, retain_hours=0, force=True)[0].files == []


def test_the_cli_compacts_and_vacuums(dumps, tmp_path, capsys):
    lake = Lake(tmp_path / "lake")
    add_dump(lake, dumps[0])
    add_dump(lake, dumps[1])
    assert main(["--lake", str(lake.root), "compact", "lineage", "transformed"]) == 0
    out = capsys.readouterr().out
    assert "lineage:" in out and "transformed:" in out and "-> " in out
    assert main(["--lake", str(lake.root), "vacuum", "--retain-hours", "0"]) == 2  # below 7 days without --force
    assert main(["--lake", str(lake.root), "vacuum", "transformed", "lineage", "--retain-hours", "0", "--force"]) == 0
    out = capsys.readouterr().out
    assert "transformed: would delete" in out and "lineage: nothing to delete" in out and "add --delete" in out
    assert main(["--lake", str(lake.root), "vacuum", "transformed", "--retain-hours", "0", "--force", "--delete"]) == 0
    assert "transformed: deleted" in capsys.readouterr().out
    assert main(["--lake", str(lake.root), "compact", "no_such_table"]) == 2

