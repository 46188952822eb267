"""`codelake run LAST --from FIRST`: the stretch of the chain in one process, every table and lineage row
as the stages' own runs write them."""

from __future__ import annotations

import os
from pathlib import Path

from codelake.cli.main import main
from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.registry import CODE_CHAIN
from dumpfactory import MANIFEST, manifest, small_repos, write_dir_dump

STDLIB = Path(os.__file__).parent


def _repos() -> dict[str, dict[str, bytes]]:
    """The small repositories plus a few real standard-library modules (files the filter keeps)."""
    repos = small_repos()
    repos["python__std"] = {MANIFEST: manifest("python/std", stars=50)}
    for name in ("colorsys.py", "textwrap.py", "bisect.py", "shlex.py"):
        repos["python__std"][name] = (STDLIB / name).read_bytes()
    return repos


def _contents(lake: str) -> dict[str, list]:
    con = connect(Lake(lake))
    try:
        tables = {name: sorted(con.execute(f"SELECT doc_id FROM {name}").fetchall()) for name in CODE_CHAIN}
        tables["lineage"] = sorted(con.execute("SELECT stage, doc_id, action, reason, detail FROM lineage").fetchall())
        return tables
    finally:
        con.close()


def test_one_process_chain_writes_what_the_stages_run_one_by_one_write(tmp_path, capsys):
    dump = str(write_dir_dump(tmp_path / "dump-cli", _repos()))
    one_by_one, chained = str(tmp_path / "one_by_one"), str(tmp_path / "chained")
    assert main(["run", "raw_files", "--input", dump, "--output", one_by_one]) == 0
    for stage in CODE_CHAIN[1:]:
        assert main(["run", stage, "--input", one_by_one, "--output", one_by_one]) == 0, stage
    capsys.readouterr()
    assert main(["run", "code_corpus", "--from", "raw_files", "--input", dump, "--output", chained]) == 0
    printed = capsys.readouterr()
    reports = [line.split(":")[0] for line in (printed.out + printed.err).splitlines() if " in, " in line]
    assert reports == CODE_CHAIN  # each stage's report, in order
    expected = _contents(one_by_one)
    assert _contents(chained) == expected
    assert expected["code_corpus"] and expected["lineage"]  # files kept, and drops accounted
    assert Lake(chained).version("code_corpus") == 0  # each stage wrote its table once


def test_from_must_be_upstream_and_rules_must_be_unambiguous(tmp_path, capsys):
    lake = str(tmp_path / "lake")
    assert main(["run", "transformed", "--from", "filtered", "--input", lake, "--output", lake]) == 2
    assert "not upstream of transformed" in capsys.readouterr().err
    assert main(["run", "code_corpus", "--from", "filtered", "--rules", "x.yaml", "--input", lake, "--output", lake]) == 2
    assert "run them one at a time" in " ".join(capsys.readouterr().err.split())
