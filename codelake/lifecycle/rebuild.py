"""Re-run the whole-lake stages (exact_dedup → … → code_corpus) from raw_files as it is now, with their checks.

Used after a dump is retired: every survivor is decided again over the dumps that remain, so a file
whose survivor came from the retired dump is kept again from another dump where one exists. Each
stage reads its upstream pinned at the version it starts from, so its checks compare with exactly that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from codelake.checks import Conservation, conservation, duplicate_doc_ids
from codelake.lake import Lake
from codelake.lake.lineage import LINEAGE_TABLE
from codelake.lake.sql import connect
from codelake.report import StageReport

# (stage, the table it reads); in pipeline order.
WHOLE_LAKE_STAGES: list[tuple[str, str]] = [
    ("exact_dedup", "raw_files"),
    ("fuzzy_dedup", "exact_dedup"),
    ("transformed", "fuzzy_dedup"),
    ("filter_signals", "transformed"),
    ("filtered", "filter_signals"),
    ("code_corpus", "filtered"),
]


@dataclass(frozen=True)
class RebuildSettings:
    preset: str | None = None  # fuzzy_dedup preset; None: the one the lake's last run used, else the default
    seed: int = 0  # filtered's probabilistic rules
    workers: int = 2


@dataclass
class StageRun:
    report: StageReport
    upstream: str
    upstream_version: int
    conservation: Conservation
    duplicates: int

    @property
    def checks_pass(self) -> bool:
        return self.conservation.holds and self.duplicates == 0


def stages_to_rebuild(lake: Lake) -> list[tuple[str, str]]:
    """The whole-lake stages up to the last one the lake holds (none when exact_dedup never ran)."""
    present = [i for i, (stage, _) in enumerate(WHOLE_LAKE_STAGES) if lake.exists(stage)]
    return WHOLE_LAKE_STAGES[: present[-1] + 1] if present else []


def last_fuzzy_preset(lake: Lake) -> str | None:
    """The preset fuzzy_dedup's current lineage names (so a rebuild decides as the last run did)."""
    if not lake.exists(LINEAGE_TABLE):
        return None
    con = connect(lake)
    try:
        row = con.execute(
            "SELECT json_extract_string(detail, '$.preset') FROM lineage WHERE stage = 'fuzzy_dedup' AND reason = 'near_duplicate' LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    return row[0] if row and row[0] else None


def _runner(name: str, settings: RebuildSettings) -> Callable[[Lake], StageReport]:
    from codelake.registry import StageOptions, stage

    spec = stage(name)
    if spec.upstream is None:
        raise ValueError(f"{name} is not a whole-lake stage")

    def run(lake: Lake) -> StageReport:
        preset = (settings.preset or last_fuzzy_preset(lake)) if "preset" in spec.options else None
        options = StageOptions(preset=preset, workers=settings.workers, seed=settings.seed, upstream_version=lake.version(spec.upstream))
        return spec.run(lake, options)

    return run


def rebuild_whole_lake(
    lake: Lake, settings: RebuildSettings | None = None, progress: Callable[[str], None] | None = None
) -> list[StageRun]:
    """Run every whole-lake stage the lake holds, in order; each one's checks from the committed tables."""
    settings = settings or RebuildSettings()
    runs = []
    for stage, upstream in stages_to_rebuild(lake):
        upstream_version = lake.version(upstream)
        rows_in = lake.count(upstream, version=upstream_version)
        report = _runner(stage, settings)(lake)
        run = StageRun(
            report, upstream, upstream_version,
            conservation(lake, stage, report.version, rows_in), duplicate_doc_ids(lake, stage, report.version),
        )
        runs.append(run)
        if progress is not None:
            progress(report.summary())
    return runs
