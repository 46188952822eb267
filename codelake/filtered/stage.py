"""The two filter stages over the lake: signals once per file, then decisions over the signals table.

`filter_signals` reads `transformed` in batches and stores every signal of every file (no text), so
`filtered` can re-decide after a threshold change by reading only that table and the rule files. Kept
files are joined back to their text; every dropped file gets a lineage row naming the first rule that
fired, with all firing rules and the signal values that made them fire in the detail. Both are
incremental (codelake.lake.increments): a run computes and decides only the files new upstream and
withdraws those gone from it, so a new dump costs only its own files.
"""

from __future__ import annotations

import json
from pathlib import Path
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor
from functools import partial

import polars as pl
import pyarrow as pa

from codelake.filtered.decide import decide, per_rule_stats
from codelake.filtered.registry import SIGNALS
from codelake.filtered.rules import RuleSet, load_rules
from codelake.filtered.signals import PythonCounter, compute_signals
from codelake.filtered.signals_python import python_counts_many
from codelake.lake import Lake, LineageSpool
from codelake.lake.increments import commit_increment, plan_increment, source_fingerprint, stage_fingerprint, upstream_fingerprint, value_fingerprint
from codelake.lake.sql import connect
from codelake.compute import TableOutput, batch_executor, batch_map
from codelake.parallel import process_pool
from codelake.report import StageReport
from codelake.schemas import DOC_METADATA_COLUMNS
from codelake.transformed.stage import TRANSFORMED_SCHEMA

SIGNALS_STAGE = "filter_signals"
STAGE = "filtered"
UPSTREAM = "transformed"

_LOCATION = ["dump", "repo", "path", "language", "size"]
SIGNALS_SCHEMA = pa.schema(
    [pa.field("doc_id", pa.string()), pa.field("dump", pa.string()), pa.field("repo", pa.string()), pa.field("path", pa.string()),
     pa.field("language", pa.string()), pa.field("size", pa.int64()), pa.field("profile", pa.string())]
    + [pa.field(name, pa.bool_() if kind == "bool" else pa.float64()) for name, (kind, _) in SIGNALS.items()]
)


def _signals_of(batch: pa.RecordBatch, python_counts: PythonCounter | None = None) -> pa.Table:
    frame = pl.from_arrow(batch)
    signals = compute_signals(frame, python_counts).join(frame.select("doc_id", *_LOCATION), on="doc_id", how="left")
    return signals.select(SIGNALS_SCHEMA.names).to_arrow().cast(SIGNALS_SCHEMA)


def _counts_in(pool: Executor, workers: int) -> PythonCounter:
    """Python parse counts computed by `pool`'s processes, the texts cut in `workers` slices: the parse
    holds a GIL, their GIL, not the one the Polars threads need."""

    def counts(texts: list[str]) -> list:
        n = max(1, min(workers, len(texts) // 8))
        slices = [texts[i::n] for i in range(n)]
        results = list(pool.map(python_counts_many, slices))
        out: list = [None] * len(texts)
        for i, part in enumerate(results):
            out[i::n] = part
        return out

    return counts


def compute_signals_parallel(batches: Iterable[pa.RecordBatch], workers: int = 2, output: TableOutput | None = None) -> Iterator[pa.Table]:
    """Signals (SIGNALS_SCHEMA) of each batch (doc_id, dump, repo, path, language, size, text), in order,
    computed by `workers` threads (Polars and the numba kernels release the GIL; threads spare spawning
    processes that each load numba, and pickling every text); the Python files' parse, which holds the
    GIL, runs in `workers` processes (only those texts travel). They are forked before this stage's Polars
    work starts and never touch Polars (a child forked while Polars runs must not use it). On a distributed
    executor each batch is a task, which writes the signals itself when given `output` (WrittenFiles come back)."""
    if batch_executor().distributed:  # each batch in a task process of its own: the parse needs no pool there
        for _, table in batch_map(_signals_of, ((None, b) for b in batches), workers, output=output):
            yield table
        return
    if workers <= 1:
        for batch in batches:
            yield _signals_of(batch)
        return
    with process_pool(workers) as pool:
        list(pool.map(python_counts_many, [[]] * workers))  # fork every worker now
        work = partial(_signals_of, python_counts=_counts_in(pool, workers))
        for _, table in batch_map(work, ((None, b) for b in batches), workers, threads=True):
            yield table


def signals_fingerprint(lake: Lake) -> str:
    """What a file's signals depend on besides its text: this package's code, the transformed texts' origin."""
    return stage_fingerprint(source_fingerprint(*Path(__file__).parent.glob("*.py")), upstream_fingerprint(lake, UPSTREAM))


def decisions_fingerprint(lake: Lake, rules: RuleSet, seed: int) -> str:
    """What a keep/drop decision depends on besides the file's signals."""
    code = Path(__file__).parent
    return stage_fingerprint(value_fingerprint(rules.rules), seed, source_fingerprint(code / "decide.py", code / "rules.py"), upstream_fingerprint(lake, SIGNALS_STAGE))


def run_filter_signals(
    lake: Lake, workers: int = 2, batch_rows: int = 1000, progress: Callable[[int, int], None] | None = None
) -> StageReport:
    """Compute every filter signal of every `transformed` file into the `filter_signals` table."""
    if not lake.exists(UPSTREAM):
        raise FileNotFoundError(f"{lake.table_path(UPSTREAM)}: no {UPSTREAM} table yet")
    report = StageReport(SIGNALS_STAGE)
    con = connect(lake)
    increment = plan_increment(lake, con, SIGNALS_STAGE, UPSTREAM, signals_fingerprint(lake))
    increment.register(con)
    # Streamed in storage order (here and below): an ORDER BY would sort (hold or spill) every text.
    reader = con.execute(
        f"SELECT doc_id, {', '.join(_LOCATION)}, text FROM {UPSTREAM} WHERE {increment.where()}"
    ).to_arrow_reader(batch_rows)

    def batches() -> Iterator[pa.RecordBatch]:
        output = TableOutput.of(lake, SIGNALS_STAGE, SIGNALS_SCHEMA, ["dump"], keep=("language", "size"))
        for table in compute_signals_parallel(reader, workers, output):
            report.kept_rows(table)
            if progress:
                progress(report.rows_in, report.bytes_in)
            yield from table.to_batches() if isinstance(table, pa.Table) else [table]  # or files a Ray task wrote

    try:  # signals drop nothing and change nothing: no lineage rows (withdrawn files have none either)
        report.version, _ = commit_increment(lake, increment, LineageSpool(SIGNALS_STAGE), batches(), SIGNALS_SCHEMA)
    finally:
        con.close()
    report.tables["increment"] = [increment.summary()]
    return report


def _detail(row: dict, rules: RuleSet) -> str:
    by_name = {r.name: r for r in rules.rules}
    fired = [
        {"rule": name, "signal": by_name[name].signal, "value": row.get(by_name[name].signal), "op": by_name[name].op, "threshold": by_name[name].threshold}
        for name in row["reasons"]
    ]
    return json.dumps({"profile": row["profile"], "fired": fired}, default=str)


def run_filtered(lake: Lake, rules: RuleSet | None = None, seed: int = 0, batch_rows: int = 2000) -> StageReport:
    """Decide keep/drop for every file from `filter_signals` and the rules; write kept files with text."""
    rules = rules or load_rules()
    if not lake.exists(SIGNALS_STAGE):
        raise FileNotFoundError(f"{lake.table_path(SIGNALS_STAGE)}: no filter_signals table yet; run filter_signals first")
    con = connect(lake)
    try:
        increment = plan_increment(lake, con, STAGE, SIGNALS_STAGE, decisions_fingerprint(lake, rules, seed), drops_in_lineage=True)
        increment.register(con)
        signals = pl.from_arrow(con.execute(f"SELECT * FROM {SIGNALS_STAGE} WHERE {increment.where()}").to_arrow_table()).select(SIGNALS_SCHEMA.names)
    except BaseException:
        con.close()
        raise
    decisions = decide(signals, rules, seed).join(signals, on="doc_id", how="left")
    report = StageReport(STAGE)
    lineage = LineageSpool(STAGE)
    for row in decisions.filter(~pl.col("keep")).iter_rows(named=True):
        lineage.record(row["doc_id"], "drop", row["first_reason"], _detail(row, rules), row["dump"], row["repo"], row["path"])
        report.dropped(row["first_reason"], row["size"])
    stats = per_rule_stats(signals, rules, seed, frame=signals.select("doc_id", "size"))
    kept_ids = pa.table({"doc_id": decisions.filter(pl.col("keep"))["doc_id"].to_arrow()})
    con.register("kept_ids", kept_ids)
    reader = con.execute(
        f"SELECT {', '.join('t.' + c for c in DOC_METADATA_COLUMNS)}, t.text FROM {UPSTREAM} t SEMI JOIN kept_ids USING (doc_id)"
        f" WHERE {increment.where('t')}"
    ).to_arrow_reader(batch_rows)

    def kept() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            report.kept_rows(batch)
            yield batch

    try:
        report.version, report.lineage_version = commit_increment(lake, increment, lineage, kept(), TRANSFORMED_SCHEMA)
    finally:
        lineage.discard()
        con.close()
    report.tables["increment"] = [increment.summary()]
    report.tables["rules"] = [
        {
            "rule": r["rule"], "profile": r["profile"] or "-", "files": r["files"], "MB": round((r["bytes"] or 0) / 1e6, 3),
            "only_this_rule": r["only_rule"], "sample": ", ".join(r["sample"][:3]),
        }
        for r in stats.sort(["files", "rule"], descending=[True, False]).iter_rows(named=True)
    ]
    report.tables["rules_that_drop_nothing"] = [{"rules": sum(1 for r in report.tables["rules"] if r["files"] == 0), "of": len(rules.rules)}]
    return report
