"""sft_raw: one instruction set's records normalized to the chat schema; every unusable record dropped
with its reason and its `file:line` in the lineage."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pyarrow as pa

from codelake.ids import doc_id
from codelake.lake import Lake, LineageSpool
from codelake.report import StageReport
from codelake.sft_raw.code_blocks import CodeBlockRules, dominant_language
from codelake.sft_raw.formats import Normalized, RawRules, normalize_record
from codelake.sft_raw.landing import InstructionSet, InstructionSetError
from codelake.sft_raw.reader import count_records, read_records
from codelake.sft_raw.schema import SFT_RAW_SCHEMA

STAGE = "sft_raw"


def count_instruction_records(instruction_set: InstructionSet, rules: RawRules | None = None) -> int:
    """Records in the set's files, counted by a separate pass (the conservation check's rows in)."""
    rules = rules or RawRules.load()
    return sum(count_records(path, rules.max_line_bytes) for path in instruction_set.data_files())


def run_sft_raw(
    lake: Lake, instruction_set: InstructionSet, rules: RawRules | None = None, code_rules: CodeBlockRules | None = None, batch_rows: int = 1000
) -> StageReport:
    """Replace the set's partition of `sft_raw` (partition = its key) with its normalized records."""
    rules = rules or RawRules.load()
    code_rules = code_rules or CodeBlockRules.load()
    manifest = instruction_set.manifest()
    files = instruction_set.data_files()
    if not files:
        raise InstructionSetError(f"{instruction_set.path}: no record files (*.jsonl, *.jsonl.gz, *.json, *.parquet)")
    key = instruction_set.key
    report = StageReport(STAGE)
    lineage = LineageSpool(STAGE)
    per_file: dict[str, Counter] = {}
    formats: Counter = Counter()

    def rows() -> Iterator[pa.RecordBatch]:
        pending: list[dict] = []
        for path in files:
            name = path.relative_to(instruction_set.path).as_posix()
            counts = per_file.setdefault(name, Counter())
            for raw in read_records(path, rules.max_line_bytes):
                counts["records"] += 1
                result = raw.rejection or normalize_record(raw.record, rules)
                identity = doc_id(key, name, str(raw.position))
                where = f"{name}:{raw.position}"
                if not isinstance(result, Normalized):
                    lineage.record(identity, "drop", result.reason, f"{where}: {result.detail}", key, manifest.source, where)
                    report.dropped(result.reason, 0)
                    counts[result.reason] += 1
                    continue
                size = sum(len(t["content"].encode("utf-8")) for t in result.turns)
                language = dominant_language(result.turns, code_rules) or manifest.language or "text"
                pending.append({
                    "doc_id": identity, "dump": key, "repo": manifest.source, "path": where, "stage": manifest.stage,
                    "source": manifest.source, "license": manifest.license, "format": result.format, "record_id": result.record_id,
                    "language": language, "messages": result.turns, "tests": result.tests, "size": size,
                })
                report.kept(language, size)
                counts["kept"] += 1
                formats[result.format] += 1
                if len(pending) >= batch_rows:
                    yield pa.RecordBatch.from_pylist(pending, schema=SFT_RAW_SCHEMA)
                    pending.clear()
        if pending:
            yield pa.RecordBatch.from_pylist(pending, schema=SFT_RAW_SCHEMA)

    try:
        report.version, report.lineage_version = lineage.commit_with_table(lake, rows(), SFT_RAW_SCHEMA, dump=key)
    finally:
        lineage.discard()
    report.tables["files"] = [
        {"file": name, "records": c["records"], "kept": c["kept"],
         "dropped": ", ".join(f"{r}={n}" for r, n in c.items() if r not in ("records", "kept")) or "none"}
        for name, c in per_file.items()
    ]
    report.tables["formats"] = [{"format": f, "records": n} for f, n in formats.most_common()]
    ignored = instruction_set.other_files()
    if ignored:
        report.tables["ignored_files"] = [{"file": p.relative_to(instruction_set.path).as_posix(), "why": "not .jsonl/.jsonl.gz/.json/.parquet"} for p in ignored]
    return report
