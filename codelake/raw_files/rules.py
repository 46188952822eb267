"""rules/ingest.yaml as a typed object."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codelake.dumps.names import NameLimits
from codelake.dumps.sources import ArchiveLimits
from codelake.rules import RuleFileError, load_rule_file, require
from codelake.settings import RULES_DIR

INGEST_RULES = RULES_DIR / "ingest.yaml"


@dataclass(frozen=True)
class IngestRules:
    max_file_bytes: int
    drop_empty_files: bool
    archive: ArchiveLimits
    names: NameLimits
    manifest_file: str
    batch_rows: int
    batch_bytes: int

    @classmethod
    def load(cls, path: str | Path = INGEST_RULES) -> "IngestRules":
        data = load_rule_file(path)
        archive = require(data, "archive", dict, path)
        paths = require(data, "paths", dict, path)
        rules = cls(
            max_file_bytes=require(data, "max_file_bytes", int, path),
            drop_empty_files=require(data, "drop_empty_files", bool, path),
            archive=ArchiveLimits(
                max_members=require(archive, "max_members", int, path),
                max_total_uncompressed_bytes=require(archive, "max_total_uncompressed_bytes", int, path),
                max_compression_ratio=require(archive, "max_compression_ratio", (int, float), path),
            ),
            names=NameLimits(
                max_name_bytes=require(paths, "max_name_bytes", int, path),
                max_path_bytes=require(paths, "max_path_bytes", int, path),
            ),
            manifest_file=require(data, "manifest_file", str, path),
            batch_rows=require(data, "batch_rows", int, path),
            batch_bytes=require(data, "batch_bytes", int, path),
        )
        for key in ("max_file_bytes", "batch_rows", "batch_bytes"):
            if getattr(rules, key) <= 0:
                raise RuleFileError(f"{path}: '{key}' must be positive")
        for key in ("max_name_bytes", "max_path_bytes"):
            if getattr(rules.names, key) <= 0:
                raise RuleFileError(f"{path}: 'paths.{key}' must be positive")
        return rules
