"""annealing_mixture: code_corpus and the high-quality annealing sets, mixed by token share.

Planned by the pretraining mixture's planner (codelake.pretrain_shards.plan.plan_mixture): the richest
share is read once and every other share is sampled (a deterministic draw per document) or repeated up
to max_repeat. Every input row is written (copy 0 keeps its doc id), or dropped in the lineage
(`not_sampled`, `too_short`). A repeated document's extra copies get doc ids of their own (hash of the
doc id and the copy number) and the original gets a lineage change `repeated` naming them, so
rows in + extra copies = rows written + rows dropped.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from codelake.annealing_mixture.rules import AnnealingMixture
from codelake.lake import Lake, LineageSpool
from codelake.pretrain_shards.plan import MixturePlan, plan_mixture
from codelake.pretrain_shards.sources import Source, SourceError
from codelake.report import StageReport
from training.fim import unit_draw

STAGE = "annealing_mixture"
MIXTURE_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()), ("source_doc_id", pa.string()), ("copy", pa.int32()), ("share", pa.string()), ("source", pa.string()),
        ("dump", pa.string()), ("repo", pa.string()), ("path", pa.string()), ("language", pa.string()), ("size", pa.int64()),
        ("text", pa.large_string()),
    ]
)
_READ = ["doc_id", "dump", "repo", "path", "language", "text"]


def copy_id(doc_id: str, copy: int) -> str:
    return doc_id if copy == 0 else hashlib.sha256(f"{doc_id}\0copy {copy}".encode()).hexdigest()[:32]


@dataclass
class MixtureRun:
    report: StageReport
    plan: MixturePlan
    notes: list[str]
    extra_copies: int = 0
    tokens_by_share: Counter = field(default_factory=Counter)

    @property
    def rows_in(self) -> int:
        """Rows of the sources (each document once) plus the extra copies written: what the conservation check counts."""
        return self.report.rows_in


def _ids(lake: Lake, tables: tuple[str, ...]) -> pa.Array:
    parts = [lake.dataset(t).to_table(columns=["doc_id"]).column("doc_id").combine_chunks() for t in tables if lake.exists(t)]
    return pa.concat_arrays([p.cast(pa.string()) for p in parts]) if parts else pa.array([], pa.string())


def _kept_mask(batch: pa.RecordBatch, excluded: pa.Array) -> pa.Array | None:
    if not len(excluded):
        return None
    return pc.invert(pc.is_in(batch.column("doc_id").cast(pa.string()), value_set=excluded))


def _resolve(mixture: AnnealingMixture, lake: Lake) -> tuple[dict[str, list[Source]], dict[str, pa.Array], list[str]]:
    found, excluded, notes = {}, {}, []
    for share in mixture.spec.shares:
        excluded[share.name] = _ids(lake, mixture.without.get(share.name, ()))
        sources = []
        for spec in share.sources:
            lengths = None
            version = lake.version(spec.table)
            if version is not None:
                dataset = lake.dataset(spec.table, version)
                if "text" not in dataset.schema.names:
                    raise SourceError(f"{mixture.path}: share {share.name!r}: lake table {spec.table!r} has no `text` column")
                parts = []
                for batch in dataset.to_batches(columns=["doc_id", "text"]):
                    mask = _kept_mask(batch, excluded[share.name])
                    text = batch.column("text") if mask is None else batch.column("text").filter(mask)
                    parts.append(pc.binary_length(text).fill_null(0).to_numpy(zero_copy_only=False))
                lengths = np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)
            if lengths is None or not len(lengths):
                if not spec.optional:
                    raise SourceError(f"{mixture.path}: share {share.name!r}: source lake table {spec.table!r} is missing or empty")
                notes.append(f"share {share.name!r}: optional source {spec.table!r} is missing or empty, skipped")
                continue
            sources.append(Source(spec, share.name, lengths, table_version=version))
        if not sources and not share.optional:
            raise SourceError(f"{mixture.path}: share {share.name!r} has no readable source")
        found[share.name] = sources
    return found, excluded, notes


def run_annealing_mixture(lake: Lake, mixture: AnnealingMixture | None = None, batch_rows: int = 2000) -> MixtureRun:
    mixture = mixture or AnnealingMixture.load()
    spec = mixture.spec
    sources, excluded, notes = _resolve(mixture, lake)
    per_byte = {source.name: mixture.tokens_per_byte for share in sources.values() for source in share}
    plan = plan_mixture(spec, sources, per_byte, notes)
    run = MixtureRun(StageReport(STAGE), plan, notes)
    report, lineage = run.report, LineageSpool(STAGE)
    written, not_sampled, repeated = Counter(), Counter(), Counter()

    def tokens(size: int) -> float:
        return min(size * mixture.tokens_per_byte, spec.max_tokens_per_document)

    def rows() -> Iterator[pa.RecordBatch]:
        for share in plan.shares:
            whole, fraction = math.floor(share.rate), share.rate - math.floor(share.rate)
            detail = f"share {share.name!r} sampled at rate {share.rate:.4g} ({spec.path.name}, seed {spec.seed})"
            for source in share.sources:
                dataset = lake.dataset(source.spec.table, source.table_version)
                columns = [c for c in _READ if c in dataset.schema.names]
                for batch in dataset.to_batches(columns=columns, batch_size=batch_rows):
                    mask = _kept_mask(batch, excluded[share.name])
                    if mask is not None:
                        batch = batch.filter(mask)
                    out = []
                    for row in batch.to_pylist():
                        text = row["text"] or ""
                        size = len(text.encode("utf-8", "surrogatepass"))
                        dump, repo, path = row.get("dump") or source.name, row.get("repo"), row.get("path")
                        if len(text) < spec.min_chars:
                            lineage.record(row["doc_id"], "drop", "too_short", f"{len(text)} characters < min_chars {spec.min_chars}", dump, repo, path)
                            report.dropped("too_short", size)
                            continue
                        copies = whole + (unit_draw(spec.seed, share.name, row["doc_id"], "copies") < fraction)
                        if copies == 0:
                            lineage.record(row["doc_id"], "drop", "not_sampled", detail, dump, repo, path)
                            report.dropped("not_sampled", size)
                            not_sampled[share.name] += 1
                            continue
                        if copies > 1:
                            extra = [copy_id(row["doc_id"], k) for k in range(1, copies)]
                            lineage.record(row["doc_id"], "change", "repeated", json.dumps({"copies": copies, "copy_ids": extra, "rate": round(share.rate, 4)}), dump, repo, path)
                            repeated[share.name] += copies - 1
                        language = row.get("language") or share.name
                        for k in range(copies):
                            out.append({"doc_id": copy_id(row["doc_id"], k), "source_doc_id": row["doc_id"], "copy": k, "share": share.name,
                                        "source": source.name, "dump": dump, "repo": repo, "path": path, "language": language,
                                        "size": size, "text": text})
                            report.kept(language, size)
                            run.tokens_by_share[share.name] += tokens(size)
                            written[share.name] += 1
                    if out:
                        yield pa.RecordBatch.from_pylist(out, schema=MIXTURE_SCHEMA)

    try:
        report.version, report.lineage_version = lineage.commit_with_table(lake, rows(), MIXTURE_SCHEMA)
    finally:
        lineage.discard()
    run.extra_copies = sum(repeated.values())
    total = sum(run.tokens_by_share.values()) or 1.0
    report.tables["shares"] = [
        {
            "share": s.name, "sources": ", ".join(src.name for src in s.sources), "weight": s.weight,
            "target_%": round(100 * s.effective_weight, 2), "actual_%": round(100 * run.tokens_by_share[s.name] / total, 2),
            "rate": round(s.rate, 4), "target_tokens": round(s.target_tokens), "tokens_written": round(run.tokens_by_share[s.name]),
            "documents": sum(src.rows for src in s.sources), "rows_written": written[s.name], "not_sampled": not_sampled[s.name],
            "extra_copies": repeated[s.name],
        }
        for s in plan.shares
    ]
    return run
