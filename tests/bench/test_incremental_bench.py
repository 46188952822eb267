"""The incremental benchmark on tiny dumps: structure only, never timings."""

from __future__ import annotations

import json

from bench.incremental import build_equal_dumps, format_table, main
from codelake.registry import CODE_CHAIN


def test_dumps_are_real_files_of_equal_size(tmp_path):
    dumps = build_equal_dumps(tmp_path, 3, dump_mb=0.05)
    assert len(dumps) == 3
    sizes = []
    for dump in dumps:
        files = [p for p in dump.rglob("*") if p.is_file() and p.name not in (".codelake.json", "_SUCCESS")]
        assert (dump / "_SUCCESS").is_file() and any(p.suffix == ".py" for p in files)
        sizes.append(sum(p.stat().st_size for p in files))
    assert all(0.025e6 < s <= 0.05e6 for s in sizes)
    paths = [{str(p.relative_to(dump)) for p in dump.rglob("*.py")} for dump in dumps]
    assert not (paths[0] & paths[1]) and not (paths[1] & paths[2])  # cut in order: no file is in two dumps


def test_adding_a_dump_is_timed_at_every_k_against_a_full_rebuild(tmp_path, capsys):
    args = ["--dump-mb", "0.03", "--ks", "1,2", "--repeats", "1", "--workdir", str(tmp_path / "work"), "--results", str(tmp_path / "results")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "add at k=2 / add at k=1" in out and "full rebuild at k=2" in out and "load average" in out
    result = json.loads(next((tmp_path / "results").glob("incremental-*.json")).read_text())
    assert [r["k"] for r in result["rows"]] == [1, 2] and result["dumps"] == 3
    for row in result["rows"]:
        assert list(row["add_stages"]) == CODE_CHAIN  # every stage of the chain brought up to date
        assert abs(row["add_seconds"] - sum(s["seconds"] for s in row["add_stages"].values())) < 1e-6
        assert 0 < row["add_own_seconds"] <= row["add_seconds"] and row["full_rebuild_seconds"] > 0
        # at every k the incremental stages decided at most the new dump's files, never the lake's
        new_dump = tmp_path / "work" / "landing" / f"dump-{row['k']:02d}"
        files = sum(1 for p in new_dump.rglob("*") if p.is_file() and p.name not in (".codelake.json", "_SUCCESS"))
        stages = {name: row["add_stages"][name] for name in ("transformed", "filter_signals", "filtered", "code_corpus")}
        assert all(t["mode"] == "incremental" and t["decided"] <= files for t in stages.values()), stages
        assert stages["transformed"]["decided"] > 0
    assert result["ratio_add"] == result["rows"][1]["add_seconds"] / result["rows"][0]["add_seconds"]
    assert "code_corpus" in format_table(result)
