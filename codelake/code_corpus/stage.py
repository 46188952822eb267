"""code_corpus: resample the filtered corpus per language; every file not drawn is a lineage drop."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from codelake.code_corpus.mixture import Mixture
from codelake.lake import Lake, LineageSpool
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
    source = lake.dataset(upstream)
    report = StageReport(STAGE)
    lineage = LineageSpool(STAGE)
    before: dict[str, list[int]] = {}

    def sampled() -> Iterator[pa.RecordBatch]:
        for batch in source.to_batches(batch_size=batch_rows):
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
        report.version, report.lineage_version = lineage.commit_with_table(lake, sampled(), source.schema)
    finally:
        lineage.discard()
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
