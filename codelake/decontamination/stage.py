"""sft_decontaminated: every SFT sample (sft_verified and sft_synth) checked against the benchmarks; a
sample sharing a word n-gram with a benchmark item, or defining a benchmark's entry point, is dropped.
Its lineage detail (JSON) names the benchmark, the item id and the matching n-gram or entry point."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import pyarrow as pa

from codelake.decontamination.index import ContaminationIndex
from codelake.lake import Lake, LineageSpool
from codelake.report import StageReport
from codelake.sft_raw.formats import chat_text
from codelake.sft_raw.schema import SFT_VERIFIED_SCHEMA

STAGE = "sft_decontaminated"
UPSTREAMS = ("sft_verified", "sft_synth")


def chat_texts(batch: pa.RecordBatch) -> pa.Array:
    return pa.array([chat_text(turns) for turns in batch.column("messages").to_pylist()], pa.large_string())


def run_sft_decontaminated(lake: Lake, index: ContaminationIndex, versions: dict[str, int | None] | None = None, batch_rows: int = 2000) -> StageReport:
    versions = versions or {name: lake.version(name) for name in UPSTREAMS}
    present = [name for name in UPSTREAMS if versions.get(name) is not None]
    if not present:
        raise FileNotFoundError(f"{lake.root}: neither sft_verified nor sft_synth exists yet")
    report = StageReport(STAGE)
    lineage = LineageSpool(STAGE)
    hits: Counter = Counter()
    examples: list[dict] = []

    def rows() -> Iterator[pa.RecordBatch]:
        for name in present:
            for batch in lake.dataset(name, versions[name]).to_batches(batch_size=batch_rows):
                matches = index.scan(chat_texts(batch))
                keep = [m is None for m in matches]
                for i, match in enumerate(matches):
                    size = batch.column("size")[i].as_py()
                    if match is None:
                        report.kept(batch.column("language")[i].as_py(), size)
                        continue
                    reason = f"benchmark_{match.kind}"
                    row = {c: batch.column(c)[i].as_py() for c in ("doc_id", "dump", "repo", "path")}
                    lineage.record(row["doc_id"], "drop", reason, json.dumps(match.detail()), row["dump"], row["repo"], row["path"])
                    report.dropped(reason, size)
                    hits[(match.benchmark, match.kind)] += 1
                    if len(examples) < 20:
                        examples.append({"sample": f"{row['dump']}/{row['path']}", "benchmark": match.benchmark, "item": match.item_id,
                                         "match": match.kind, "evidence": match.evidence[:80].replace("|", "/")})
                yield batch.filter(pa.array(keep)).select(SFT_VERIFIED_SCHEMA.names).cast(SFT_VERIFIED_SCHEMA)

    try:
        report.version, report.lineage_version = lineage.commit_with_table(lake, rows(), SFT_VERIFIED_SCHEMA)
    finally:
        lineage.discard()
    report.tables["hits_by_benchmark"] = [{"benchmark": b, "match": k, "samples": n} for (b, k), n in sorted(hits.items())] or []
    report.tables["hits_sample"] = examples
    return report
