"""Compaction merges small files without changing a row or an incremental stage's state; vacuum lists, then
deletes, exactly the files no version within the horizon needs."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from codelake.checks import conservation, duplicate_doc_ids
from codelake.cli.main import main
from codelake.lake import Lake
from codelake.lake.lineage import LINEAGE_SCHEMA
from codelake.lake.maintenance import MaintenanceRules, compact, vacuum
from codelake.compute import running_on
from codelake.registry import StageOptions, stage
from codelake.transformed.stage import run_transformed
from dumpfactory import MANIFEST, manifest, write_dir_dump
from executorfactory import ShippingExecutor

STDLIB = Path(os.__file__).parent
CHAIN = ["exact_dedup", "fuzzy_dedup", "transformed"]
RULES = MaintenanceRules(target_file_mb=64, retain_hours=168)


def _dump(root: Path, owner: str, names: list[str]) -> Path:
    files = {f"lib/{name}": (STDLIB / name).read_bytes() for name in names}
    files["lib/contact.py"] = f'# Contact: {owner}.smith@mailbox.org\nVERSION = 1\n'.encode()  # a PII change in the lineage
    return write_dir_dump(root / f"dump-{owner}", {f"{owner}__lib": {MANIFEST: manifest(f"{owner}/lib"), **files}})


def _add(lake: Lake, dump: Path) -> dict:
    """The dump through the chain; `transformed` as on a Ray cluster, where each task writes its batch's own
    file (one file per batch of one row here): the small files compaction is for."""
    stage("raw_files").run(lake, StageOptions(input=str(dump)))
    reports = {name: stage(name).run(lake, StageOptions(workers=1, preset="jaccard-0.8")) for name in CHAIN[:-1]}
    with running_on(ShippingExecutor()):
        reports["transformed"] = run_transformed(lake, workers=1, batch_rows=1)
    return reports


def _rows(lake: Lake, name: str, version: int | None = None) -> list[tuple]:
    table = lake.dataset(name, version).to_table()
    return sorted(tuple(str(v) for v in row.values()) for row in table.select(sorted(table.column_names)).to_pylist())


def _files(lake: Lake, name: str) -> int:
    return len(lake.table(name).file_uris())


@pytest.fixture(scope="module")
def dumps(tmp_path_factory) -> list[Path]:
    landing = tmp_path_factory.mktemp("landing")
    return [_dump(landing, "ann", ["colorsys.py", "keyword.py"]), _dump(landing, "bob", ["bisect.py", "shlex.py"]),
            _dump(landing, "cid", ["sched.py", "glob.py"])]


def test_compaction_keeps_every_row_and_the_stages_stay_incremental(dumps, tmp_path):
    lake, scratch = Lake(tmp_path / "lake"), Lake(tmp_path / "scratch")
    for dump in dumps[:2]:
        _add(lake, dump)
    rows, files, version = _rows(lake, "transformed"), _files(lake, "transformed"), lake.version("transformed")
    lineage_files, lineage_version = _files(lake, "lineage"), lake.version("lineage")
    assert files >= 6  # a file per task

    results = {r.table: r for r in compact(lake, ["transformed", "lineage"], RULES)}
    done = results["transformed"]
    assert done.committed and done.version_after == version + 1 == lake.version("transformed")
    assert done.files_before == files and done.files_after == _files(lake, "transformed") == 2  # one per dump partition
    assert _rows(lake, "transformed") == rows  # the same rows, fewer files
    assert _rows(lake, "transformed", version) == rows  # and the earlier version still reads
    # the lineage holds one file per (stage, dump) partition already: nothing to merge, no new version
    assert not results["lineage"].committed and lake.version("lineage") == lineage_version and _files(lake, "lineage") == lineage_files
    assert not compact(lake, ["transformed"], RULES)[0].committed

    added = _add(lake, dumps[2])
    increment = added["transformed"].tables["increment"][0]
    assert increment["mode"] == "incremental" and increment["dumps_decided"] == "dump-cid"  # the state survived OPTIMIZE
    for dump in dumps:
        _add(scratch, dump)
    assert _rows(lake, "transformed") == _rows(scratch, "transformed")
    # the columns sorted by name: action, detail, doc_id, dump, path, reason, repo, stage, version (left out: stamps differ)
    lineage = [r[:8] for r in _rows(lake, "lineage") if r[7] == "transformed"]
    assert lineage == [r[:8] for r in _rows(scratch, "lineage") if r[7] == "transformed"] and len(lineage) == 3
    version = lake.version("transformed")
    assert conservation(lake, "transformed", version, lake.count("fuzzy_dedup")).holds
    assert duplicate_doc_ids(lake, "transformed", version) == 0


def test_a_table_with_lineage_from_a_crashed_run_is_not_compacted(dumps, tmp_path):
    lake = Lake(tmp_path / "lake")
    _add(lake, dumps[0])
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
    _add(lake, dumps[0])
    _add(lake, dumps[1])
    compact(lake, ["exact_dedup"], RULES)
    current = _rows(lake, "exact_dedup")
    old_version = lake.version("exact_dedup") - 1
    with pytest.raises(ValueError, match="below Delta's 168 h"):
        vacuum(lake, ["exact_dedup"], RULES, retain_hours=0)
    assert vacuum(lake, ["exact_dedup"], RULES)[0].files == []  # every file is younger than 7 days

    listed = vacuum(lake, ["exact_dedup"], RULES, retain_hours=0, force=True)[0]
    assert not listed.deleted and listed.files and listed.bytes > 0
    assert all((lake.table_path("exact_dedup") / f).exists() for f in listed.files)  # a dry run deletes nothing
    live = {Path(uri).name for uri in lake.table("exact_dedup").file_uris()}
    assert not live & {Path(f).name for f in listed.files}  # never a file the current version reads

    done = vacuum(lake, ["exact_dedup"], RULES, retain_hours=0, delete=True, force=True)[0]
    assert done.deleted and done.files == listed.files
    assert not any((lake.table_path("exact_dedup") / f).exists() for f in listed.files)
    assert _rows(lake, "exact_dedup") == current
    with pytest.raises(Exception, match="not found|No such file"):
        _rows(lake, "exact_dedup", old_version)  # before the horizon: no longer readable
    assert vacuum(lake, ["exact_dedup"], RULES, retain_hours=0, force=True)[0].files == []


def test_the_cli_compacts_and_vacuums(dumps, tmp_path, capsys):
    lake = Lake(tmp_path / "lake")
    _add(lake, dumps[0])
    _add(lake, dumps[1])
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
