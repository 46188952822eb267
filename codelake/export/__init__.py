"""Exports of a corpus table in the layout trainers read: `id`/`text`/`metadata`, sharded Parquet or JSONL."""

from codelake.export.corpus import ExportError, export_table

__all__ = ["ExportError", "export_table"]
