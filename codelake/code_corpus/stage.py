"""code_corpus: resample the filtered corpus per language; every file not drawn is a lineage drop.

A file's draw depends on itself and the mixture alone, so the stage is incremental
(codelake.lake.increments): a run draws only the files new upstream and withdraws those gone from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from codelake.code_corpus.mixture import Mixture
from codelake.lake import Lake, LineageSpool
from codelake.lake.increments import commit_increment, plan_increment, source_fingerprint, stage_fingerprint, upstream_fingerprint, value_fingerprint
from codelake.lake.sql import connect
from codelake.report import StageReport

STAGE = "code_corpus"


def _bar(share: float, width: int = 40) -> str:
    """A text bar for the Dagster UI's markdown tables (one block per 2.5% at the default width)."""
    blocks = round(share * width)
    return "█" * blocks if blocks else ("▏" if share > 0 else "")


def run_code_corpus(lake: Lake, upstream: str = "filtered", mixture: Mixture | None = None, batch_rows: int = 5000) -> StageReport:
    """Keep each upstream file with its language's rate; the output has the upstream's schema."""
    mixture = mixture or Mixture.load()
    if not lake.exists(upstream):
        raise FileNotFoundError(f"{lake.table_path(upstream)}: no {upstream} table yet")
    schema = lake.dataset(upstream).schema
    report = StageReport(STAGE)
    lineage = LineageSpool(STAGE)
    before: dict[str, list[int]] = {}
    con = connect(lake)
    try:
        fingerprint = stage_fingerprint(value_fingerprint(mixture), source_fingerprint(*Path(__file__).parent.glob("*.py")), upstream_fingerprint(lake, upstream))
        increment = plan_increment(lake, con, STAGE, upstream, fingerprint, drops_in_lineage=True)
        increment.register(con)
        reader = con.execute(f"SELECT {', '.join(schema.names)} FROM {upstream} WHERE {increment.where()}").to_arrow_reader(batch_rows)
    except BaseException:
        con.close()
        raise

    def sampled() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            batch = batch.cast(schema)
            ids = batch.column("doc_id").to_pylist()
            languages = batch.column("language").to_pylist()
            sizes = batch.column("size").to_pylist()
            keep = mixture.keep(ids, languages)
            for i, kept in enumerate(keep):
                counts = before.setdefault(languages[i], [0, 0, 0, 0])
                counts[0] += 1
                counts[1] += sizes[i]
                if kept:
                    counts[2] += 1
                    counts[3] += sizes[i]
                    report.kept(languages[i], sizes[i])
                else:
                    rate = mixture.rate(languages[i])
                    detail = f"{languages[i]} kept at rate {rate} (rules/mixture.yaml, seed {mixture.seed})"
                    dumps, repos, paths = batch.column("dump"), batch.column("repo"), batch.column("path")
                    lineage.record(ids[i], "drop", "downsampled", detail, dumps[i].as_py(), repos[i].as_py(), paths[i].as_py())
                    report.dropped("downsampled", sizes[i])
            yield batch.filter(pa.array(keep))

    try:
        report.version, report.lineage_version = commit_increment(lake, increment, lineage, sampled(), schema)
    finally:
        lineage.discard()
        con.close()
    report.tables["increment"] = [increment.summary()]
    total_before = sum(c[1] for c in before.values()) or 1
    total_after = sum(c[3] for c in before.values()) or 1
    report.tables["language_distribution"] = [
        {
            "language": lang,
            "rate": mixture.rate(lang),
            "files_before": c[0],
            "files_after": c[2],
            "share_before_%": round(100 * c[1] / total_before, 2),
            "share_after_%": round(100 * c[3] / total_after, 2),
            "chart (bytes share, before / after)": _bar(c[1] / total_before) + " / " + _bar(c[3] / total_after),
        }
        for lang, c in sorted(before.items(), key=lambda kv: -kv[1][1])
    ]
    return report
