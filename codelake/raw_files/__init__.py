"""raw_files: a crawl dump unpacked safely into one row per kept file, every other file a recorded drop."""

from codelake.raw_files.ingest import ingest_dump
from codelake.raw_files.rules import IngestRules
from codelake.raw_files.schema import RAW_FILES_SCHEMA
from codelake.raw_files.stage import run_raw_files

__all__ = ["IngestRules", "RAW_FILES_SCHEMA", "ingest_dump", "run_raw_files"]
