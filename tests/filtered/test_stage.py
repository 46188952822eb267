"""The filter stages over a lake: signals once, decisions from signals alone, drops named by rule."""

from __future__ import annotations

import json
from pathlib import Path

from codelake.checks import conservation
from codelake.cli.inspect import rule_stats
from codelake.code_corpus import Mixture, run_code_corpus
from codelake.exact_dedup import run_exact_dedup
from codelake.filtered import load_rules
from codelake.filtered.stage import run_filter_signals, run_filtered
from codelake.fuzzy_dedup import run_fuzzy_dedup
from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.raw_files import run_raw_files
from codelake.transformed import run_transformed
from dumpfactory import MANIFEST, manifest, write_dir_dump

STDLIB = sorted(Path("/root/.pyenv/versions").glob("3.11*/lib/python3.11"))
GOOD = (STDLIB[0] / "textwrap.py").read_bytes() if STDLIB else b"".join(
    b"def function_%d(values):\n    total = 0\n    for value in values:\n        total += value * %d\n    return total\n\n\n" % (i, i)
    for i in range(40)
)
TINY = b"x = 1\n"  # fewer than 30 words: code_num_words_min


def test_signals_once_decisions_from_signals_and_drops_named_by_rule(tmp_path):
    lake = Lake(tmp_path / "lake")
    files = {MANIFEST: manifest("o/r"), "good.py": GOOD, "tiny.py": TINY}
    run_raw_files(lake, write_dir_dump(tmp_path / "dump-1", {"r": files}))
    run_exact_dedup(lake)
    run_fuzzy_dedup(lake, workers=1)
    run_transformed(lake, workers=1)
    signals = run_filter_signals(lake)
    assert "text" not in lake.dataset("filter_signals").schema.names
    report = run_filtered(lake)
    assert {r["path"] for r in lake.dataset("filtered").to_table(columns=["path"]).to_pylist()} == {"good.py"}
    path, reason, detail = connect(lake).execute("SELECT path, reason, detail FROM lineage WHERE stage = 'filtered'").fetchone()
    assert (path, reason) == ("tiny.py", "code_num_words_min")
    fired = json.loads(detail)["fired"][0]
    assert fired["signal"] == "qsc_code_num_words" and fired["value"] < 30 and fired["threshold"] == 30
    assert conservation(lake, "filtered", report.version, signals.rows_kept).holds
    assert any(r["rule"] == "code_num_words_min" and r["files"] == 1 for r in report.tables["rules"])

    corpus = run_code_corpus(lake, mixture=Mixture(seed=1, default=1.0, rates={}))
    assert corpus.rows_kept == 1 and corpus.rows_dropped == 0

    # A stricter threshold re-decides from the signals table alone: signals are not recomputed.
    signals_version = lake.version("filter_signals")
    run_filtered(lake, rules=load_rules().with_threshold("code_num_words_min", 10**9))
    assert lake.version("filter_signals") == signals_version
    assert lake.count("filtered") == 0
    # `codelake rules`: per rule, files and bytes dropped, and the rules that dropped nothing
    by_rule = {row["rule"]: row for row in rule_stats(lake)}
    assert by_rule["code_num_words_min"]["files"] == 2 and by_rule["code_num_words_min"]["languages"] == {"Python": 2}
    assert by_rule["code_num_words_min"]["bytes"] == sum(r["size"] for r in lake.dataset("transformed").to_table(columns=["size"]).to_pylist())
    assert len(by_rule) == len(load_rules().rules) and by_rule["python_func_ratio"]["files"] == 0
