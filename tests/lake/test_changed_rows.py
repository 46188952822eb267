"""exact_dedup and fuzzy_dedup re-decide the whole lake but write only the rows whose decision changed: a
dump sharing nothing rewrites no earlier data file, a dump holding better copies rewrites only the files of
the copies it displaces, and the tables and lineage always equal one run from scratch."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pytest

from codelake.checks import conservation, duplicate_doc_ids
from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.registry import StageOptions, stage
from dumpfactory import MANIFEST, manifest, write_dir_dump

WHOLE_LAKE = ["exact_dedup", "fuzzy_dedup"]
UPSTREAM = {"exact_dedup": "raw_files", "fuzzy_dedup": "exact_dedup"}
STDLIB = Path(os.__file__).parent
NEAR = "".join(f"def function_{i}(value):\n    return value * {i} + {i % 7}\n\n" for i in range(60))


def _stdlib(*names: str) -> dict[str, bytes]:
    return {f"lib/{name}": (STDLIB / name).read_bytes() for name in names}


@pytest.fixture(scope="module")
def dumps(tmp_path_factory) -> dict[str, Path]:
    """dump-a; dump-b shares nothing; dump-c (more stars) holds an exact copy and a near copy of dump-a's files."""
    landing = tmp_path_factory.mktemp("landing")
    repos = {
        "dump-a": {"ann__app": {MANIFEST: manifest("ann/app", stars=5), "app/near.py": NEAR.encode(), **_stdlib("colorsys.py", "keyword.py")}},
        "dump-b": {"bob__lib": {MANIFEST: manifest("bob/lib", stars=50), **_stdlib("shlex.py", "sched.py")}},
        "dump-c": {"cid__big": {MANIFEST: manifest("cid/big", stars=500), "big/near.py": NEAR.replace("* 3 + 3", "* 3 + 4").encode(),
                                **_stdlib("colorsys.py", "glob.py")}},
    }
    return {name: write_dir_dump(landing / name, files) for name, files in repos.items()}


def _add(lake: Lake, *dumps: Path) -> dict:
    for dump in dumps:
        stage("raw_files").run(lake, StageOptions(input=str(dump)))
    return {name: stage(name).run(lake, StageOptions(workers=1, preset="jaccard-0.8")) for name in WHOLE_LAKE}


def _data_files(lake: Lake, name: str, dump: str) -> set[str]:
    actions = pa.table(lake.table(name).get_add_actions(flatten=True))
    return {p for p, d in zip(actions.column("path").to_pylist(), actions.column("partition.dump").to_pylist()) if d == dump}


def _state(lake: Lake) -> dict:
    """Every row of both tables and their lineage (without the version stamps, which differ by history)."""
    con = connect(lake)
    try:
        state = {name: sorted(con.execute(f"SELECT * FROM {name}").fetchall()) for name in WHOLE_LAKE}
        state["lineage"] = sorted(con.execute(
            "SELECT stage, doc_id, action, reason, detail, dump, repo, path FROM lineage WHERE stage IN ('exact_dedup', 'fuzzy_dedup')"
        ).fetchall())
    finally:
        con.close()
    return state


def _checks_hold(lake: Lake) -> None:
    for name in WHOLE_LAKE:
        version = lake.version(name)
        assert conservation(lake, name, version, lake.count(UPSTREAM[name])).holds, name
        assert duplicate_doc_ids(lake, name, version) == 0, name


def test_only_changed_decisions_are_written_and_the_lake_equals_a_run_from_scratch(dumps, tmp_path):
    lake = Lake(tmp_path / "lake")
    first = _add(lake, dumps["dump-a"])
    assert all(first[name].tables["increment"][0]["mode"] == "full" for name in WHOLE_LAKE)
    a_files = {name: _data_files(lake, name, "dump-a") for name in WHOLE_LAKE}

    added_b = _add(lake, dumps["dump-b"])
    for name in WHOLE_LAKE:
        increment = added_b[name].tables["increment"][0]
        assert increment["mode"] == "incremental" and increment["dumps_decided"] == "dump-b", name
        assert increment["files_decided"] == 2 and increment["files_withdrawn"] == 0 and increment["data_files_rewritten"] == 0, name
        assert _data_files(lake, name, "dump-a") == a_files[name], name  # untouched
    b_files = {name: _data_files(lake, name, "dump-b") for name in WHOLE_LAKE}
    _checks_hold(lake)

    added_c = _add(lake, dumps["dump-c"])
    exact, fuzzy = (added_c[name].tables["increment"][0] for name in WHOLE_LAKE)
    # exact: dump-c's 3 files are new; its colorsys.py displaces dump-a's: withdrawn from the table, decided again as a drop
    assert (exact["files_decided"], exact["files_withdrawn"]) == (4, 1)
    # fuzzy: dump-c's 3 survivors are new; its upstream lost dump-a's colorsys.py (withdrawn, not decided again);
    # dump-c's near.py displaces dump-a's near.py (withdrawn, decided again as a drop)
    assert (fuzzy["files_decided"], fuzzy["files_withdrawn"]) == (4, 2)
    assert all(_data_files(lake, name, "dump-b") == b_files[name] for name in WHOLE_LAKE)  # dump-b: nothing changed
    assert all(_data_files(lake, name, "dump-a") != a_files[name] for name in WHOLE_LAKE)  # rewritten without the displaced

    scratch = Lake(tmp_path / "scratch")
    _add(scratch, *dumps.values())
    assert _state(lake) == _state(scratch)
    _checks_hold(lake)

    versions = {name: lake.version(name) for name in [*WHOLE_LAKE, "lineage"]}
    again = _add(lake)
    assert {name: lake.version(name) for name in [*WHOLE_LAKE, "lineage"]} == versions  # nothing changed: no version
    assert all(again[name].tables["increment"][0]["files_decided"] == 0 for name in WHOLE_LAKE)
