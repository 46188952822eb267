"""rules/web_ingest.yaml as a typed object."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codelake.rules import RuleFileError, load_rule_file, require
from codelake.settings import RULES_DIR

WEB_INGEST_RULES = RULES_DIR / "web_ingest.yaml"


@dataclass(frozen=True)
class WebIngestRules:
    max_record_bytes: int
    max_payload_bytes: int
    keep_statuses: frozenset[int]
    html_media_types: frozenset[str]
    verify_block_digest: bool
    detect_bytes: int
    max_replaced_share: float
    batch_rows: int
    batch_bytes: int

    @classmethod
    def load(cls, path: str | Path = WEB_INGEST_RULES) -> "WebIngestRules":
        data = load_rule_file(path)
        statuses = require(data, "keep_statuses", list, path)
        media = require(data, "html_media_types", list, path)
        if not statuses or not all(isinstance(s, int) and not isinstance(s, bool) for s in statuses):
            raise RuleFileError(f"{path}: 'keep_statuses' must be a non-empty list of integers")
        if not media or not all(isinstance(m, str) and "/" in m for m in media):
            raise RuleFileError(f"{path}: 'html_media_types' must be a non-empty list of media types like text/html")
        rules = cls(
            max_record_bytes=require(data, "max_record_bytes", int, path),
            max_payload_bytes=require(data, "max_payload_bytes", int, path),
            keep_statuses=frozenset(statuses),
            html_media_types=frozenset(m.lower() for m in media),
            verify_block_digest=require(data, "verify_block_digest", bool, path),
            detect_bytes=require(data, "detect_bytes", int, path),
            max_replaced_share=float(require(data, "max_replaced_share", (int, float), path)),
            batch_rows=require(data, "batch_rows", int, path),
            batch_bytes=require(data, "batch_bytes", int, path),
        )
        for key in ("max_record_bytes", "max_payload_bytes", "detect_bytes", "batch_rows", "batch_bytes"):
            if getattr(rules, key) <= 0:
                raise RuleFileError(f"{path}: '{key}' must be positive")
        if not 0 <= rules.max_replaced_share <= 1:
            raise RuleFileError(f"{path}: 'max_replaced_share' must be between 0 and 1")
        return rules
