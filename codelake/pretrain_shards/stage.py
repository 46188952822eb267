"""pretrain_shards (and annealing_shards): the token mixture, FIM and repository-level samples, packed
into datatrove `.ds` shards, with a table that says where every source document went.

Every source row is accounted for: packed (one table row, with every placement of every copy), or a
lineage drop (`not_sampled` by the mixture's rate, `too_short`). A document cut at
`max_tokens_per_document` is a lineage change (`truncated`).

Shares are interleaved as they are written (the next batch comes from the share furthest behind its
target), so every stretch of the shards has the mixture's proportions, and repeats of a source (rate above
1) come as later epochs, not as adjacent copies.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tokenizers import Tokenizer

from codelake.lake import Lake, LineageSpool
from codelake.lake.sql import ConnectionFactory, connect, delta_scan
from codelake.pretrain_shards.mixture import MixtureSpec
from codelake.pretrain_shards.plan import MixturePlan, SharePlan, plan_mixture, resolve_sources
from codelake.pretrain_shards.sources import DOC_SCHEMA, Source
from codelake.report import StageReport
from training.fim import PLAIN, PSM, SpecialIds, file_sample, fim_mode, repo_sample, unit_draw
from training.packing import ShardWriter, encode_samples
from training.tokenizer import special_token_ids, token_size

PLACEMENT = pa.struct(
    [("shard", pa.string()), ("document", pa.int64()), ("token_offset", pa.int64()), ("tokens", pa.int64()), ("copy", pa.int32()),
     ("fim", pa.string()), ("repo_level", pa.bool_())]
)
SHARDS_SCHEMA = pa.schema(
    [("doc_id", pa.string()), ("dump", pa.string()), ("repo", pa.string()), ("path", pa.string()), ("language", pa.string()),
     ("source", pa.string()), ("share", pa.string()), ("size", pa.int64()), ("tokens", pa.int64()), ("copies", pa.int32()),
     ("shard_folder", pa.string()), ("placements", pa.list_(PLACEMENT))]
)
_SPOOL = pa.schema(
    [("doc_id", pa.string()), ("dump", pa.string()), ("repo", pa.string()), ("path", pa.string()), ("language", pa.string()),
     ("source", pa.string()), ("share", pa.string()), ("size", pa.int64()), *((f.name, f.type) for f in PLACEMENT)]
)
MANIFEST = "manifest.json"
SAMPLE_DOCS_FOR_RATIO = 256  # tokens per byte of a source: measured on its first documents,
SAMPLE_BYTES_FOR_RATIO = 1 << 19  # at most this much text (a sample, not a second pass over the corpus)


@dataclass
class _Doc:
    row: dict
    copy: int
    truncate_recorded: bool = False


@dataclass
class _Counts:
    tokens_by_share: Counter = field(default_factory=Counter)
    tokens_by_source: Counter = field(default_factory=Counter)
    tokens_by_language: Counter = field(default_factory=Counter)
    samples_by_mode: Counter = field(default_factory=Counter)
    fim_eligible: int = 0
    repo_samples: int = 0
    samples: int = 0


def _sample_texts(source: Source, lake: Lake) -> Iterator[str]:
    """The source's first documents, at most SAMPLE_DOCS_FOR_RATIO of them and SAMPLE_BYTES_FOR_RATIO characters."""
    count = size = 0
    for batch in source.batches(lake, batch_rows=64):
        for text in batch.column("text").to_pylist():
            if not text:
                continue
            text = text[: SAMPLE_BYTES_FOR_RATIO - size]
            yield text
            count, size = count + 1, size + len(text)
            if count >= SAMPLE_DOCS_FOR_RATIO or size >= SAMPLE_BYTES_FOR_RATIO:
                return


def _tokens_per_byte(tokenizer: Tokenizer, source: Source, lake: Lake) -> float:
    """Measured on a sample of the source's first documents (the packer's own encoding call)."""
    texts = list(_sample_texts(source, lake))
    nbytes = sum(len(t.encode("utf-8", "surrogatepass")) for t in texts)
    tokens = sum(len(e.ids) for e in tokenizer.encode_batch_fast(texts, add_special_tokens=False))
    return tokens / nbytes if nbytes else 0.0


class _ShareStream:
    """The samples of one share: epochs over its sources, each document drawn `copies` times."""

    def __init__(self, plan: SharePlan, mixture: MixtureSpec, lake: Lake, batch_docs: int, report: StageReport, lineage: LineageSpool,
                 special: SpecialIds, tokens_per_byte: dict[str, float], connections: ConnectionFactory | None):
        self.plan, self.mixture, self.lake, self.batch_docs = plan, mixture, lake, batch_docs
        self.report, self.lineage = report, lineage
        self.special, self.tokens_per_byte, self.connections = special, tokens_per_byte, connections
        self.repo_level = plan.name in mixture.repo_level.shares and mixture.repo_level.rate > 0
        self.fim = plan.name in mixture.fim.shares
        self.written = 0

    def copies(self, *key: object) -> int:
        rate = self.plan.rate
        whole = math.floor(rate)
        return whole + (unit_draw(self.mixture.seed, self.plan.name, *key, "copies") < rate - whole)

    def mode(self, key: tuple) -> str:
        if not self.fim:
            return PLAIN
        return fim_mode(self.mixture.fim.rate, self.mixture.fim.spm_rate, self.mixture.seed, *key)

    def _selected_repos(self, source: Source) -> set[str]:
        if not self.repo_level or not source.spec.table:
            return set()
        dataset = self.lake.dataset(source.spec.table, source.table_version)
        if "repo" not in dataset.schema.names:
            return set()
        repos = pc.unique(dataset.to_table(columns=["repo"]).column("repo")).to_pylist()
        return {r for r in repos if r is not None and unit_draw(self.mixture.seed, "repo_level", r) < self.mixture.repo_level.rate}

    def units(self) -> Iterator[list[tuple[list, list[_Doc], str, bool]]]:
        """Batches of (segments, docs in the sample, fim mode, repo_level)."""
        epochs = max(1, math.ceil(self.plan.rate))
        for epoch in range(epochs):
            for source in self.plan.sources:
                selected = self._selected_repos(source)
                yield from self._file_units(source, selected, epoch)
                if selected:
                    yield from self._repo_units(source, selected, epoch)

    def _admit(self, row: dict, epoch: int, *key: object) -> bool:
        """Whether this row is in `epoch`; at epoch 0, a row never drawn (or too short) is a lineage drop."""
        if len(row["text"]) < self.mixture.min_chars:
            if epoch == 0:
                self._drop(row, "too_short", f"{len(row['text'])} characters < min_chars {self.mixture.min_chars} ({self.mixture.path.name})")
            return False
        copies = self.copies(*key)
        if copies == 0 and epoch == 0:
            self._drop(row, "not_sampled", f"share {self.plan.name!r} sampled at rate {self.plan.rate:.4g} ({self.mixture.path.name}, seed {self.mixture.seed})")
        return copies > epoch

    def _drop(self, row: dict, reason: str, detail: str) -> None:
        self.lineage.record(row["doc_id"], "drop", reason, detail, row["dump"], row["repo"], row["path"])
        self.report.dropped(reason, len(row["text"].encode("utf-8", "surrogatepass")))

    def _file_units(self, source: Source, selected: set[str], epoch: int):
        ids = self.special
        for batch in source.batches(self.lake, self.batch_docs):
            if selected:
                batch = batch.filter(pc.invert(pc.is_in(batch.column("repo"), pa.array(sorted(selected), pa.string()))))
            unit = []
            for row in batch.to_pylist():
                row["source"] = source.name
                if not self._admit(row, epoch, row["doc_id"]):
                    continue
                key = (row["doc_id"], epoch)
                mode = self.mode(key)
                unit.append((file_sample(row["text"], mode, ids, (self.mixture.seed, *key)), [_Doc(row, epoch)], mode, False))
            if unit:
                yield unit

    def _repo_units(self, source: Source, selected: set[str], epoch: int):
        """Selected repositories' files in path order, one sample per repository (up to max_files)."""
        con = connect(self.lake, connections=self.connections)
        try:
            con.register("selected_repos", pa.table({"repo": sorted(selected)}))
            query = (
                f"SELECT {', '.join(DOC_SCHEMA.names)} FROM {delta_scan(self.lake, source.spec.table, source.table_version)}"
                " WHERE repo IN (SELECT repo FROM selected_repos) ORDER BY repo, path"
            )
            reader = con.execute(query).to_arrow_reader(self.batch_docs)
            group: list[dict] = []
            unit: list = []
            for batch in reader:
                for row in batch.to_pylist():
                    row["source"] = source.name
                    if group and row["repo"] != group[0]["repo"]:
                        unit += self._repo_group(group, epoch)
                        group = []
                    group.append(row)
                if len(unit) >= 1:
                    yield unit
                    unit = []
            unit += self._repo_group(group, epoch)
            if unit:
                yield unit
        except duckdb.Error as err:
            raise RuntimeError(f"repository-level samples of {source.name!r}: {err}") from err
        finally:
            con.close()

    def _repo_group(self, rows: list[dict], epoch: int) -> list:
        """A repository's files as repository-level samples of at most `max_files` files and an estimated
        `max_tokens_per_document` tokens each; a file too long for any sample goes alone, file-level."""
        if not rows:
            return []
        repo = rows[0]["repo"]
        if not self._admit_repo(rows, epoch, repo):
            return []
        budget = 0.8 * self.mixture.max_tokens_per_document / max(self.tokens_per_byte.get(rows[0]["source"], 0.0), 1e-6)
        key = (repo, epoch)
        mode = PSM if self.mode(key) != PLAIN else PLAIN  # Qwen2.5-Coder's repository-level FIM is PSM
        samples, chunk, chunk_bytes = [], [], 0
        for r in (r for r in rows if len(r["text"]) >= self.mixture.min_chars):
            size = len(r["text"]) + len(r["path"])
            if size > budget:
                file_key = (r["doc_id"], epoch)
                file_mode = self.mode(file_key)
                samples.append((file_sample(r["text"], file_mode, self.special, (self.mixture.seed, *file_key)), [_Doc(r, epoch)], file_mode, False))
                continue
            if chunk and (chunk_bytes + size > budget or len(chunk) == self.mixture.repo_level.max_files):
                samples.append(self._repo_chunk(repo, chunk, epoch, PLAIN))
                chunk, chunk_bytes = [], 0
            chunk.append(r)
            chunk_bytes += size
        if chunk:
            samples.append(self._repo_chunk(repo, chunk, epoch, mode))  # the last chunk carries the FIM file
        return samples

    def _repo_chunk(self, repo: str, rows: list[dict], epoch: int, mode: str):
        segments = repo_sample(repo, [(r["path"], r["text"]) for r in rows], mode, self.special, (self.mixture.seed, repo, epoch, rows[0]["doc_id"]))
        return segments, [_Doc(r, epoch) for r in rows], mode, True

    def _admit_repo(self, rows: list[dict], epoch: int, repo: str) -> bool:
        """A repository sample is drawn as a whole; its too-short files drop at epoch 0."""
        for r in rows:
            if len(r["text"]) < self.mixture.min_chars and epoch == 0:
                self._drop(r, "too_short", f"{len(r['text'])} characters < min_chars {self.mixture.min_chars} ({self.mixture.path.name})")
        copies = self.copies("repo", repo)
        if copies == 0 and epoch == 0:
            for r in rows:
                if len(r["text"]) >= self.mixture.min_chars:
                    self._drop(r, "not_sampled", f"repository {repo!r} of share {self.plan.name!r} sampled at rate {self.plan.rate:.4g} ({self.mixture.path.name})")
        return copies > epoch


def run_pretrain_shards(
    lake: Lake,
    tokenizer_path: str | Path,
    shards_root: str | Path,
    mixture: MixtureSpec,
    home: Path,
    stage: str = "pretrain_shards",
    batch_docs: int = 512,
    progress: Callable[[int, int], None] | None = None,
    connections: ConnectionFactory | None = None,
) -> StageReport:
    """Build the shards under `shards_root/<stage>/<run>/`, then commit the stage table (one row per packed
    document) and its lineage. The shard folder is complete before the commit; a crash leaves the
    previous version (and its folder) in place."""
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.encode_special_tokens = True
    special = SpecialIds.from_mapping(special_token_ids(tokenizer))
    found, notes = resolve_sources(mixture, lake, home)
    ratios = {s.name: _tokens_per_byte(tokenizer, s, lake) for sources in found.values() for s in sources}
    plan = plan_mixture(mixture, found, ratios, notes)

    report = StageReport(stage)
    lineage = LineageSpool(stage)
    counts = _Counts()
    run_name = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{uuid.uuid4().hex[:8]}"
    stage_root = Path(shards_root) / stage
    staging = stage_root / f".{run_name}.tmp"
    final = stage_root / run_name
    spool_path = Path(tempfile.mkdtemp(prefix=f"{stage}-placements-")) / "placements.parquet"
    writer = ShardWriter(staging, token_size(tokenizer.get_vocab_size()), mixture.shard_tokens, str(tokenizer_path))
    spool = pq.ParquetWriter(spool_path, _SPOOL)
    try:
        streams = []
        for share_plan in plan.shares:
            stream = _ShareStream(share_plan, mixture, lake, batch_docs, report, lineage, special, ratios, connections)
            streams.append((stream, stream.units()))
        while streams:
            # the share furthest behind its target writes next: every stretch of the shards is mixed
            stream, units = min(streams, key=lambda s: s[0].written / max(s[0].plan.target_tokens, 1.0))
            unit = next(units, None)
            if unit is None:
                streams.remove((stream, units))
                continue
            _pack(unit, stream, tokenizer, writer, spool, mixture, special, counts, lineage, report)
            if progress:
                progress(counts.samples, writer.total_tokens)
        writer.close()
        spool.close()
        _write_manifest(staging, tokenizer, tokenizer_path, mixture, plan, writer, found)
        staging.rename(final)
        folder = str(final)
        rows = _table_rows(spool_path, folder)
        report.version, report.lineage_version = lineage.commit_with_table(lake, rows, SHARDS_SCHEMA)
    finally:
        writer.close()
        spool.close()  # a no-op when already closed
        lineage.discard()
        shutil.rmtree(spool_path.parent, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
    report.tables.update(_metadata_tables(plan, counts, writer.total_tokens))
    report.tables["shards"] = [{"folder": str(final), "files": len(writer.files), "tokens": writer.total_tokens, "token_size": writer.token_size}]
    if plan.notes:
        report.tables["mixture_notes"] = [{"note": n} for n in plan.notes]
    return report


def _pack(unit, stream: _ShareStream, tokenizer, writer: ShardWriter, spool, mixture, special: SpecialIds, counts: _Counts, lineage, report) -> None:
    encoded = encode_samples(tokenizer, [segments for segments, *_ in unit], mixture.max_tokens_per_document, special.eot)
    placements = writer.write([e.ids for e in encoded])
    rows = {name: [] for name in _SPOOL.names}
    for (segments, docs, mode, repo_level), sample, placement in zip(unit, encoded, placements):
        counts.samples += 1
        counts.samples_by_mode[mode] += 1
        counts.fim_eligible += stream.fim
        counts.repo_samples += repo_level
        counts.tokens_by_share[stream.plan.name] += len(sample.ids)
        stream.written += len(sample.ids)
        # each file's token span inside the sample: from its first segment to the next file's first
        spans = _file_spans(segments, docs, sample, repo_level)
        for doc, (start, length) in zip(docs, spans):
            row = doc.row
            counts.tokens_by_source[row["source"]] += length
            counts.tokens_by_language[row["language"]] += length
            size = len(row["text"].encode("utf-8", "surrogatepass"))
            if doc.copy == 0:
                report.kept(row["language"] or "", size)
                if sample.truncated:
                    lineage.record(row["doc_id"], "change", "truncated", f"cut to {mixture.max_tokens_per_document} tokens", row["dump"], row["repo"], row["path"])
            values = {**{k: row.get(k) for k in ("doc_id", "dump", "repo", "path", "language", "source")}, "share": stream.plan.name, "size": size,
                      "shard": placement.shard, "document": placement.document, "token_offset": placement.token_offset + start, "tokens": length,
                      "copy": doc.copy, "fim": mode, "repo_level": repo_level}
            for name in _SPOOL.names:
                rows[name].append(values[name])
    spool.write_table(pa.table(rows, schema=_SPOOL))


def _file_spans(segments: list, docs: list[_Doc], sample, repo_level: bool) -> list[tuple[int, int]]:
    """(token offset, tokens) of each document in the sample: the whole sample for a file-level one; for a
    repository sample, each file from its <|file_sep|> to the next (the first also owns the repo name)."""
    total = len(sample.ids)
    if not repo_level:
        return [(0, total)]
    file_sep = segments[2]  # [repo_name, "name\n", file_sep, ...]
    starts = [int(sample.segment_starts[i]) for i, s in enumerate(segments) if isinstance(s, int) and s == file_sep and i >= 2]
    starts = [min(s, total) for s in starts]
    starts[0] = 0
    ends = starts[1:] + [total]
    return [(s, max(e - s, 0)) for s, e in zip(starts, ends)][: len(docs)]


def _table_rows(spool_path: Path, folder: str) -> Iterator[pa.RecordBatch]:
    """One row per document, its placements (every copy) as a list, grouped by DuckDB (spills if large)."""
    con = duckdb.connect()
    try:
        path = str(spool_path).replace("'", "''")
        query = f"""
            SELECT doc_id, any_value(dump) AS dump, any_value(repo) AS repo, any_value(path) AS path,
                   any_value(language) AS language, any_value(source) AS source, any_value(share) AS share,
                   any_value(size) AS size, arg_min(tokens, copy) AS tokens, count(*)::INTEGER AS copies,
                   '{folder.replace("'", "''")}' AS shard_folder,
                   list(struct_pack(shard, document, token_offset, tokens, copy, fim, repo_level) ORDER BY copy) AS placements
            FROM read_parquet('{path}') GROUP BY doc_id ORDER BY dump, doc_id"""
        reader = con.execute(query).to_arrow_reader(10_000)
        for batch in reader:
            yield batch.cast(SHARDS_SCHEMA)
    finally:
        con.close()


def _write_manifest(folder: Path, tokenizer: Tokenizer, tokenizer_path, mixture: MixtureSpec, plan: MixturePlan, writer: ShardWriter, found) -> None:
    manifest = {
        "tokenizer": str(tokenizer_path),
        "vocab_size": tokenizer.get_vocab_size(),
        "token_size": writer.token_size,
        "files": writer.files,
        "tokens": writer.total_tokens,
        "mixture_file": str(mixture.path),
        "mixture": mixture.path.read_text(encoding="utf-8"),
        "sources": {s.name: {"share": s.share, "table_version": s.table_version, "rows": s.rows, "text_bytes": s.text_bytes}
                    for sources in found.values() for s in sources},
        "notes": plan.notes,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def _metadata_tables(plan: MixturePlan, counts: _Counts, total: int) -> dict[str, list[dict]]:
    total = total or 1
    eligible = counts.fim_eligible or 1
    fim_samples = counts.samples_by_mode[PSM] + counts.samples_by_mode["spm"]
    return {
        "token_shares": [
            {"share": p.name, "weight": p.weight, "target_%": round(100 * p.effective_weight, 2),
             "actual_%": round(100 * counts.tokens_by_share[p.name] / total, 2), "tokens": counts.tokens_by_share[p.name],
             "sampling_rate": round(p.rate, 4), "sources": ", ".join(s.name for s in p.sources)}
            for p in plan.shares
        ],
        "tokens_by_source": [{"source": k, "tokens": v, "share_%": round(100 * v / total, 2)} for k, v in counts.tokens_by_source.most_common()],
        "tokens_by_language": [{"language": k, "tokens": v, "share_%": round(100 * v / total, 2)} for k, v in counts.tokens_by_language.most_common(40)],
        "fim": [{"samples": counts.samples, "fim_eligible": counts.fim_eligible, "psm": counts.samples_by_mode[PSM],
                 "spm": counts.samples_by_mode["spm"], "fim_rate_achieved": round(fim_samples / eligible, 4),
                 "repo_level_samples": counts.repo_samples}],
    }
