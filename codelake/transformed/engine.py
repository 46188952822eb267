"""transform_text / transform_batch: the engine behind the `transformed` asset.

Per file: remove the copyright/license header blocks at the top (headers.py), then replace PII and
secrets with placeholders (pii.py). The result carries counts by kind (`copyright_header`, `email`,
`ip_address`, `key`, `password`); the replaced values themselves are never returned or recorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache

import pyarrow as pa

from codelake.transformed.headers import strip_copyright_header
from codelake.transformed.pii import find_spans, replace_spans
from codelake.transformed.rules import TransformRules

REASON = "transformed"
COPYRIGHT_HEADER = "copyright_header"


@dataclass(frozen=True)
class TransformResult:
    text: str
    changes: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def transform_text(text: str, language: str, rules: TransformRules) -> TransformResult:
    stripped, headers = strip_copyright_header(text, language, rules)
    new_text, counts = replace_spans(stripped, find_spans(stripped, language, rules), rules)
    changes: dict[str, int] = {}
    if headers:
        changes[COPYRIGHT_HEADER] = headers
    changes.update(counts)
    return TransformResult(new_text if changes else text, dict(sorted(changes.items())))


@lru_cache(maxsize=1)
def default_rules() -> TransformRules:
    return TransformRules.load()


def change_detail(changes: dict[str, int]) -> str:
    """The lineage detail: JSON of counts by kind, e.g. {"copyright_header": 1, "email": 2}."""
    return json.dumps(changes, sort_keys=True, separators=(",", ":"))


def transform_batch(batch: pa.RecordBatch, rules: TransformRules | None = None) -> tuple[pa.RecordBatch, list[dict]]:
    """The same batch (all columns, same schema) with `text` transformed, and one change record per
    changed document: {doc_id, action: "change", reason: "transformed", detail: JSON counts}, plus
    dump/repo/path when the batch has those columns."""
    rules = rules or default_rules()
    names = batch.schema.names
    for needed in ("doc_id", "language", "text"):
        if needed not in names:
            raise ValueError(f"transform_batch: batch has no '{needed}' column (columns: {names})")
    doc_ids = batch.column("doc_id").to_pylist()
    languages = batch.column("language").to_pylist()
    texts = batch.column("text").to_pylist()
    extra = [c for c in ("dump", "repo", "path") if c in names]
    extra_values = {c: batch.column(c).to_pylist() for c in extra}
    out_texts = []
    records: list[dict] = []
    for i, (doc_id, language, text) in enumerate(zip(doc_ids, languages, texts)):
        if text is None:
            out_texts.append(None)
            continue
        result = transform_text(text, language or "", rules)
        out_texts.append(result.text)
        if result.changes:
            record = {"doc_id": doc_id, "action": "change", "reason": REASON, "detail": change_detail(result.changes)}
            for c in extra:
                record[c] = extra_values[c][i]
            records.append(record)
    if not records:
        return batch, records
    idx = names.index("text")
    new_column = pa.array(out_texts, type=batch.schema.field("text").type)
    return batch.set_column(idx, batch.schema.field("text"), new_column), records
