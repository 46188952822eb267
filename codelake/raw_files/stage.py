"""The raw_files stage end to end: one dump in, one Delta commit of its partition, its lineage after."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from codelake.dumps import DumpError, open_dump
from codelake.lake import Lake, LineageSpool
from codelake.languages import LanguageTable
from codelake.lifecycle.optout import OptOutList
from codelake.raw_files.ingest import ingest_dump
from codelake.raw_files.rules import IngestRules
from codelake.raw_files.schema import RAW_FILES_SCHEMA
from codelake.report import StageReport

STAGE = "raw_files"


def run_raw_files(
    lake: Lake,
    dump_path: str | Path,
    rules: IngestRules | None = None,
    languages: LanguageTable | None = None,
    progress: Callable[[int, int], None] | None = None,
    optout: OptOutList | None = None,
) -> StageReport:
    """Replace the dump's partition of `raw_files` (one commit) and its lineage rows. Opt-out requests
    (default: rules/optout.yaml and $CODELAKE_HOME/landing/optout/) are applied as drops."""
    rules = rules or IngestRules.load()
    languages = languages or LanguageTable.load()
    optout = OptOutList.load() if optout is None else optout
    source = open_dump(dump_path, rules.manifest_file, rules.archive)
    report = StageReport(STAGE)
    lineage = LineageSpool(STAGE)
    try:
        batches = ingest_dump(source, rules, languages, lineage, report, progress, optout)
        report.version, report.lineage_version = lineage.commit_with_table(lake, batches, RAW_FILES_SCHEMA, dump=source.name)
    except DumpError:
        raise
    except Exception as err:  # noqa: BLE001 - whatever breaks the run is reported against the dump
        raise DumpError(f"{source.where}: raw_files failed, nothing written: {type(err).__name__}: {err}") from err
    finally:
        lineage.discard()
    return report
