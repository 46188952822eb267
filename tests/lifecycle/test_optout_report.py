"""`codelake optout report`: affected files, tables still holding them, shard versions and training runs."""

from __future__ import annotations

import json

import pyarrow as pa

from codelake.cli.main import main as cli
from codelake.exact_dedup import run_exact_dedup
from codelake.lake import Lake
from codelake.lifecycle.optout import OptOutList
from codelake.lifecycle.optout_report import optout_report
from codelake.pretrain_shards.stage import SHARDS_SCHEMA
from codelake.raw_files import run_raw_files
from lifecycle_dumps import write_two_dumps


def _shard_rows(lake: Lake, folder: str, paths: list[str]) -> list[dict]:
    import duckdb  # noqa: F401 - via the lake's SQL
    from codelake.lake.sql import connect

    con = connect(lake)
    try:
        rows = con.execute("SELECT doc_id, dump, repo, path, language, size FROM raw_files WHERE list_contains($p, path)", {"p": paths}).fetchall()
    finally:
        con.close()
    return [
        {"doc_id": d, "dump": dump, "repo": repo, "path": path, "language": lang, "source": "code_corpus", "share": "code", "size": size,
         "tokens": 10, "copies": 1, "shard_folder": folder,
         "placements": [{"shard": "00000.ds", "document": i, "token_offset": 10 * i, "tokens": 10, "copy": 0, "fim": "none", "repo_level": False}]}
        for i, (d, dump, repo, path, lang, size) in enumerate(rows)
    ]


def test_report_lists_files_tables_shard_versions_and_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "400")
    a, b = write_two_dumps(tmp_path / "landing")
    lake = Lake(tmp_path / "home" / "lake")
    run_raw_files(lake, a, optout=OptOutList())
    run_exact_dedup(lake, optout=OptOutList())
    # shards packed before the request: version 0 holds carol's own.py, version 1 does not
    write = lambda rows: lake.write("pretrain_shards", [pa.RecordBatch.from_pylist(rows, schema=SHARDS_SCHEMA)], SHARDS_SCHEMA, partition_by=["dump"])
    write(_shard_rows(lake, "/shards/run-old", ["app/own.py", "app/near.py"]))
    write(_shard_rows(lake, "/shards/run-new", ["app/near.py"]))
    runs = tmp_path / "home" / "training" / "runs"
    for asset, key, record in [
        ("pretrain_checkpoint", "k1", {"shard_folder": "/shards/run-old"}),
        ("annealed_checkpoint", "k2", {"shard_folder": "/shards/anneal", "init_from": str(runs / "pretrain_checkpoint" / "k1" / "checkpoints" / "20")}),
        ("pretrain_checkpoint", "k3", {"shard_folder": "/shards/run-new"}),
    ]:
        (runs / asset / key).mkdir(parents=True)
        (runs / asset / key / "run.json").write_text(json.dumps(record))
    # the request arrives; dump-b lands after it
    rules = tmp_path / "optout.yaml"
    rules.write_text("requests:\n- {id: OPT-9, date: 2024-07-01, requester: carol, repositories: [carol/app], paths: ['app/own.py', 'secrets/**']}\n")
    optout = OptOutList.load(rules, dropbox=tmp_path / "none")
    run_raw_files(lake, b, optout=optout)  # carol/app is not in dump-b: nothing to drop there

    [report] = optout_report(lake, optout, training_runs=runs)
    assert [(f.path, f.status) for f in report.files] == [
        ("app/own.py", "in raw_files, excluded from exact_dedup's next run"),
        ("secrets/keys.py", "in raw_files, excluded from exact_dedup's next run"),
    ]
    assert report.still_in == {"exact_dedup": 2}  # exact_dedup has not run since the request
    assert report.raw_text_in == {"dump-a": 2}
    assert [(h.stage, h.version, h.shard_folder, h.files) for h in report.shards] == [("pretrain_shards", 0, "/shards/run-old", 1)]
    assert [(r.name, r.shard_folder) for r in report.training_runs] == [("annealed_checkpoint/k2", None), ("pretrain_checkpoint/k1", "/shards/run-old")]
    assert report.training_runs[0].inherited_from == runs / "pretrain_checkpoint" / "k1"

    run_exact_dedup(lake, optout=optout)  # the next run honours it
    [report] = optout_report(lake, optout, training_runs=runs)
    assert {f.status for f in report.files} == {f"dropped by exact_dedup (version {lake.version('exact_dedup')})"}
    assert report.still_in == {}

    # the command prints the same, reading rules/optout.yaml and $CODELAKE_HOME/landing/optout/
    monkeypatch.setenv("CODELAKE_HOME", str(tmp_path / "home"))
    dropbox = tmp_path / "home" / "landing" / "optout"
    dropbox.mkdir(parents=True)
    (dropbox / "opt-9.yaml").write_text(rules.read_text())
    assert cli(["--lake", str(lake.root), "optout", "report", "--request", "OPT-9"]) == 0
    out = capsys.readouterr().out
    for expected in ("OPT-9", "2 files affected", "app/own.py", "pretrain_shards version 0", "run-old", "pretrain_checkpoint/k1", "annealed_checkpoint/k2"):
        assert expected in out, expected


def test_retire_command_reports_and_refuses_with_status_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # one line per message
    a, b = write_two_dumps(tmp_path / "landing")
    lake = Lake(tmp_path / "lake")
    for dump in (a, b):
        run_raw_files(lake, dump, optout=OptOutList())
    run_exact_dedup(lake, optout=OptOutList())
    args = ["--lake", str(lake.root), "retire", "dump-b", "--reason", "withdrawn", "--by", "me", "--landing", str(tmp_path / "landing")]
    assert cli(args) == 0
    out = capsys.readouterr().out
    assert "dump dump-b retired by me (withdrawn): 3 files" in out and "checks pass" in out and ".retired/dump-b.json" in out
    assert cli(args) == 2
    assert "already retired" in capsys.readouterr().err
