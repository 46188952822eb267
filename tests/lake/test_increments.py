"""Per-file stages bring a lake up to date incrementally: a new dump costs only its own files, and the result
(tables and lineage) is exactly what one run from scratch over the same dumps gives, also after a new dump
takes over survivors, after a crash, and after a dump is retired."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
import pytest

from codelake.checks import conservation, duplicate_doc_ids
from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.lifecycle.retire import retire_dump
from codelake.registry import CODE_CHAIN, StageOptions, stage
from dumpfactory import MANIFEST, manifest, write_dir_dump

PER_FILE_STAGES = ["transformed", "filter_signals", "filtered", "code_corpus"]
STDLIB = Path(os.__file__).parent
SHARED = b"def shared():\n    return 42\n"
# A near duplicate across dumps (one line differs out of many): fuzzy_dedup clusters them.
NEAR = "".join(f"def function_{i}(value):\n    return value * {i} + {i % 7}\n\n" for i in range(60))
CONTACT = b'"""Support module."""\n# Contact: maintainer@example.org for help\nSERVER = "10.1.2.3"\n\ndef ping():\n    return SERVER\n'


def _stdlib(names: list[str]) -> dict[str, bytes]:
    return {f"lib/{name}": (STDLIB / name).read_bytes() for name in names}


def _write_dumps(landing: Path) -> dict[str, Path]:
    """dump-a and dump-b of their own; dump-c holds the better copies (more stars) of dump-a's shared and
    near-duplicate files, so adding it withdraws them from dump-a."""
    a = {"carol__app": {MANIFEST: manifest("carol/app", stars=5), "app/util.py": SHARED, "app/near.py": NEAR.encode(),
                        "app/contact.py": CONTACT, "app/tiny.py": b"x = 1\n", **_stdlib(["colorsys.py", "keyword.py", "bisect.py"])}}
    b = {"dave__lib": {MANIFEST: manifest("dave/lib", stars=50), **_stdlib(["shlex.py", "sched.py", "glob.py", "fnmatch.py"])}}
    c = {"erin__big": {MANIFEST: manifest("erin/big", stars=500), "big/util.py": SHARED,
                       "big/near.py": NEAR.replace("return value * 3 + 3", "return value * 3 + 4").encode(),
                       "big/contact.py": CONTACT.replace(b"maintainer", b"owner"), **_stdlib(["stat.py", "this.py", "textwrap.py"])}}
    return {name: write_dir_dump(landing / name, repos) for name, repos in {"dump-a": a, "dump-b": b, "dump-c": c}.items()}


def _run_chain(lake: Lake, dumps: list[Path]) -> dict:
    """raw_files for each dump, then every whole-lake stage once, as `codelake run` does."""
    reports = {}
    for dump in dumps:
        stage("raw_files").run(lake, StageOptions(input=str(dump)))
    for name in CODE_CHAIN[1:]:
        reports[name] = stage(name).run(lake, StageOptions(workers=1, preset="jaccard-0.8"))
    return reports


def _table(lake: Lake, name: str) -> list[tuple]:
    table = lake.dataset(name).to_table()
    return sorted(tuple(str(v) for v in row.values()) for row in table.select(sorted(table.column_names)).to_pylist())


def _lineage(lake: Lake) -> list[tuple]:
    con = connect(lake)
    try:
        return sorted(con.execute(
            "SELECT stage, doc_id, action, reason, detail, dump, repo, path FROM lineage WHERE stage IN ('transformed', 'filtered', 'code_corpus')"
        ).fetchall())
    finally:
        con.close()


def _assert_same_as_from_scratch(lake: Lake, scratch: Lake) -> None:
    for name in PER_FILE_STAGES:
        assert _table(lake, name) == _table(scratch, name), name
    assert _lineage(lake) == _lineage(scratch)


def _assert_checks_hold(lake: Lake) -> None:
    for name, upstream in zip(PER_FILE_STAGES, ["fuzzy_dedup"] + PER_FILE_STAGES[:-1]):
        version = lake.version(name)
        assert conservation(lake, name, version, lake.count(upstream)).holds, name
        assert duplicate_doc_ids(lake, name, version) == 0, name


def _data_files(lake: Lake, name: str, dump: str) -> set[str]:
    actions = pa.table(lake.table(name).get_add_actions(flatten=True))
    return {p for p, d in zip(actions.column("path").to_pylist(), actions.column("partition.dump").to_pylist()) if d == dump}


@pytest.fixture(scope="module")
def dumps(tmp_path_factory) -> dict[str, Path]:
    return _write_dumps(tmp_path_factory.mktemp("landing"))


def test_a_new_dump_is_decided_alone_and_the_lake_equals_one_run_from_scratch(dumps, tmp_path):
    lake = Lake(tmp_path / "incremental")
    _run_chain(lake, [dumps["dump-a"]])
    first = _run_chain(lake, [dumps["dump-b"]])
    # dump-b shares nothing: only its 4 files are read and decided, nothing is withdrawn or rewritten
    for name in PER_FILE_STAGES[:3]:
        increment = first[name].tables["increment"][0]
        assert increment["mode"] == "incremental" and increment["dumps_decided"] == "dump-b", name
        assert increment["files_withdrawn"] == 0 and increment["data_files_rewritten"] == 0, name
    assert first["transformed"].rows_in == first["filter_signals"].rows_in == 4
    assert first["filtered"].rows_in == 4
    b_files = {name: _data_files(lake, name, "dump-b") for name in PER_FILE_STAGES}

    a_files_before = _data_files(lake, "transformed", "dump-a")
    added = _run_chain(lake, [dumps["dump-c"]])
    # dump-c's 6 files are decided; its copies of util.py and near.py take over their clusters, so dump-a's are withdrawn
    for name in PER_FILE_STAGES[:3]:
        increment = added[name].tables["increment"][0]
        assert (increment["files_decided"], increment["files_withdrawn"], increment["dumps_decided"]) == (6, 2, "dump-c"), name
    assert added["transformed"].rows_in == added["filter_signals"].rows_in == added["filtered"].rows_in == 6
    # dump-b's data files are untouched; dump-a's file holding the withdrawn rows is rewritten without them
    assert all(_data_files(lake, name, "dump-b") == b_files[name] for name in PER_FILE_STAGES)
    assert _data_files(lake, "transformed", "dump-a") != a_files_before
    kept_paths = set(lake.dataset("transformed").to_table(columns=["path"]).column("path").to_pylist())
    assert "big/util.py" in kept_paths and "app/util.py" not in kept_paths and "app/near.py" not in kept_paths

    scratch = Lake(tmp_path / "scratch")
    _run_chain(scratch, [dumps[d] for d in ("dump-a", "dump-b", "dump-c")])
    _assert_same_as_from_scratch(lake, scratch)
    _assert_checks_hold(lake)

    # Nothing new: no stage writes a version
    versions = {name: lake.version(name) for name in PER_FILE_STAGES}
    again = _run_chain(lake, [])
    assert {name: lake.version(name) for name in PER_FILE_STAGES} == versions
    assert all(again[name].rows_in == 0 for name in PER_FILE_STAGES)

    # Retiring dump-c brings dump-a's copies back: decided again, and the lake equals a+b from scratch
    retirement = retire_dump(lake, "dump-c", "test: retire the newest dump", "tester", training_runs=tmp_path / "runs")
    assert retirement.checks_pass
    restored = {run.report.stage: run.report for run in retirement.rebuilt}
    assert restored["transformed"].tables["increment"][0]["files_decided"] == 2  # app/util.py and app/near.py
    assert restored["transformed"].tables["increment"][0]["files_withdrawn"] == 6
    without_c = Lake(tmp_path / "without-c")
    _run_chain(without_c, [dumps["dump-a"], dumps["dump-b"]])
    _assert_same_as_from_scratch(lake, without_c)
    _assert_checks_hold(lake)


def test_a_crash_before_the_commit_leaves_the_previous_versions(dumps, tmp_path, monkeypatch):
    import codelake.lake.increments as increments

    lake = Lake(tmp_path / "lake")
    _run_chain(lake, [dumps["dump-a"], dumps["dump-b"]])
    stage("raw_files").run(lake, StageOptions(input=str(dumps["dump-c"])))
    for name in ("exact_dedup", "fuzzy_dedup"):
        stage(name).run(lake, StageOptions(workers=1, preset="jaccard-0.8"))
    before = (lake.version("transformed"), lake.version("lineage"), _table(lake, "transformed"))

    def crash(*args, **kwargs):
        raise RuntimeError("killed after writing the data files, before the commit")

    monkeypatch.setattr(increments, "_removes", crash)
    with pytest.raises(RuntimeError, match="killed"):
        stage("transformed").run(lake, StageOptions(workers=1))
    assert (lake.version("transformed"), lake.version("lineage"), _table(lake, "transformed")) == before
    monkeypatch.undo()

    # A crash between the lineage's commit and the table's: the table stays, the next run drops the lineage
    # rows stamped past it and ends where an uninterrupted run ends.
    clean = Lake(tmp_path / "clean")
    shutil.copytree(lake.root, clean.root)
    stage("transformed").run(clean, StageOptions(workers=1))
    table_commit = increments._commit

    def commit_lineage_only(lake_, name, *args, **kwargs):
        if name == "transformed":
            raise RuntimeError("killed between the lineage's commit and the table's")
        return table_commit(lake_, name, *args, **kwargs)

    monkeypatch.setattr(increments, "_commit", commit_lineage_only)
    with pytest.raises(RuntimeError, match="killed between"):
        stage("transformed").run(lake, StageOptions(workers=1))
    assert lake.version("transformed") == before[0] and lake.version("lineage") == before[1] + 1
    monkeypatch.undo()
    report = stage("transformed").run(lake, StageOptions(workers=1))
    assert report.tables["increment"][0]["files_decided"] == 6
    assert conservation(lake, "transformed", report.version, lake.count("fuzzy_dedup")).holds
    assert _table(lake, "transformed") == _table(clean, "transformed")
    assert _lineage(lake) == _lineage(clean)


def test_changed_rules_redo_the_stage_and_everything_downstream(dumps, tmp_path):
    from codelake.filtered import load_rules

    lake = Lake(tmp_path / "lake")
    _run_chain(lake, [dumps["dump-a"], dumps["dump-b"]])
    strict = load_rules().with_threshold("code_num_words_min", 10**9)
    from codelake.filtered.stage import run_filtered

    report = run_filtered(lake, strict)
    assert report.tables["increment"][0]["mode"] == "full" and lake.count("filtered") == 0
    corpus = stage("code_corpus").run(lake, StageOptions())
    assert corpus.tables["increment"][0]["mode"] == "full"  # its upstream's fingerprint changed
    assert lake.count("code_corpus") == 0
    _assert_checks_hold(lake)


def test_a_withdrawn_file_leaves_only_its_data_file_even_in_a_dump_whose_name_needs_escaping(tmp_path):
    from codelake.lake import LineageSpool
    from codelake.lake.increments import commit_increment, plan_increment
    from codelake.lake.sql import refresh_views

    lake = Lake(tmp_path)
    schema = pa.schema([("doc_id", pa.string()), ("dump", pa.string())])

    def upstream(rows: list[tuple[str, str]]) -> None:
        lake.write("upstream", [pa.RecordBatch.from_pylist([{"doc_id": d, "dump": p} for d, p in rows], schema=schema)], schema, partition_by=["dump"])

    def run(con) -> tuple:
        refresh_views(con, lake)
        increment = plan_increment(lake, con, "toy", "upstream", "rules-1")
        new = set(increment.new.column("doc_id").to_pylist())
        rows = [b.filter(pa.compute.is_in(b.column("doc_id"), value_set=pa.array(sorted(new), pa.string())))
                for b in lake.dataset("upstream").to_batches()]
        commit_increment(lake, increment, LineageSpool("toy"), rows, schema)
        return increment.full, new, set(increment.gone.column("doc_id").to_pylist())

    con = connect(lake)
    try:
        upstream([("a1", "crawl a%20 b"), ("a2", "crawl a%20 b"), ("b1", "b")])
        assert run(con) == (True, {"a1", "a2", "b1"}, set())
        b_files = _data_files(lake, "toy", "b")
        upstream([("a2", "crawl a%20 b"), ("b1", "b"), ("c1", "c")])  # a1 lost to another copy; c1 is new
        assert run(con) == (False, {"c1"}, {"a1"})
    finally:
        con.close()
    assert sorted(lake.dataset("toy").to_table().column("doc_id").to_pylist()) == ["a2", "b1", "c1"]
    assert _data_files(lake, "toy", "b") == b_files
