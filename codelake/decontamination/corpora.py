"""The contamination report over the pretraining corpora (code_corpus, and annealing_mixture and
code_web_corpus when they exist): nothing is dropped there; every hit is a row of the lake table
`benchmark_contamination` (table, doc id, benchmark, item, match, evidence) and the counts per table and
benchmark go to the asset's metadata, so leakage into pretraining data is never unreported."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa

from codelake.decontamination.index import ContaminationIndex
from codelake.lake import Lake

REPORT_TABLE = "benchmark_contamination"
CHECKED_TABLES = ("code_corpus", "annealing_mixture", "code_web_corpus")
REPORT_SCHEMA = pa.schema([
    ("table_name", pa.string()), ("table_version", pa.int64()), ("doc_id", pa.string()), ("benchmark", pa.string()),
    ("item_id", pa.string()), ("match", pa.string()), ("evidence", pa.string()),
])


def contamination_report(lake: Lake, index: ContaminationIndex, tables: tuple[str, ...] = CHECKED_TABLES, batch_rows: int = 2000,
                         threads: int = 1) -> tuple[dict[str, dict], int]:
    """({table: {"rows", "version", "hits": {benchmark/match: n}}} for each existing table, the report table's version)."""
    summary: dict[str, dict] = {}
    found: list[dict] = []
    for name in tables:
        if not lake.exists(name):
            continue
        version = lake.version(name)
        dataset = lake.dataset(name, version)
        if "text" not in dataset.schema.names:
            summary[name] = {"rows": 0, "version": version, "hits": {}, "note": "no text column"}
            continue
        counts: Counter = Counter()
        rows = 0
        for batch in dataset.to_batches(columns=["doc_id", "text"], batch_size=batch_rows):
            rows += batch.num_rows
            for doc, match in zip(batch.column("doc_id").to_pylist(), index.scan(batch.column("text"), threads)):
                if match is not None:
                    counts[f"{match.benchmark}/{match.kind}"] += 1
                    found.append({"table_name": name, "table_version": version, "doc_id": doc, "benchmark": match.benchmark,
                                  "item_id": match.item_id, "match": match.kind, "evidence": match.evidence})
        summary[name] = {"rows": rows, "version": version, "hits": dict(counts)}
    batches = [pa.RecordBatch.from_pylist(found, schema=REPORT_SCHEMA)] if found else []
    return summary, lake.write(REPORT_TABLE, batches, REPORT_SCHEMA)
