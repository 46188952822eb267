"""Per opt-out request: the files it covers, where they still are, and which artefacts saw them.

A file is affected when a request covers it now (a raw_files row matching the request) or when a stage
dropped it for that request (lineage `opted_out`). For each request the report lists those files and
where they stand, the lake tables whose current version still holds them (a stage not re-run since
the request), the shard stage versions that packed them (every version, by time travel, also matched
by repository/path so files of dumps retired since are not missed) and the training runs on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from codelake.lake import Lake
from codelake.lake.lineage import LINEAGE_TABLE
from codelake.lake.sql import connect
from codelake.lifecycle.exposure import RunHit, ShardHit, shard_hits, training_runs_on
from codelake.lifecycle.optout import OPTOUT_REASON, OptOutList, OptOutRequest
from codelake.settings import codelake_home
from codelake.stages import CODE_STAGES


@dataclass(frozen=True)
class AffectedFile:
    doc_id: str
    dump: str
    repo: str
    path: str
    status: str  # "dropped by <stage> (version N)" or "in raw_files, not yet excluded"


@dataclass
class RequestReport:
    request: OptOutRequest
    files: list[AffectedFile] = field(default_factory=list)
    still_in: dict[str, int] = field(default_factory=dict)  # stage -> files its current version holds
    raw_text_in: dict[str, int] = field(default_factory=dict)  # dump -> files whose text raw_files still holds
    shards: list[ShardHit] = field(default_factory=list)
    unreadable_shard_versions: list[str] = field(default_factory=list)
    training_runs: list[RunHit] = field(default_factory=list)


def _affected(con, lake: Lake, request: OptOutRequest) -> list[AffectedFile]:
    found: dict[str, AffectedFile] = {}
    if lake.exists(LINEAGE_TABLE):
        for doc, dump, repo, path, stage, version in con.execute(
            "SELECT doc_id, dump, repo, path, stage, version FROM lineage WHERE reason = $r AND starts_with(detail, $prefix)"
            " ORDER BY doc_id, stage",
            {"r": OPTOUT_REASON, "prefix": f"opt-out request {request.id} ("},
        ).fetchall():
            found.setdefault(doc, AffectedFile(doc, dump, repo, path, f"dropped by {stage} (version {version})"))
    if lake.exists("raw_files"):
        text = "text" if request.needs_text else None
        for doc, dump, repo, path in con.execute(
            f"SELECT doc_id, dump, repo, path FROM raw_files WHERE {request.sql_predicate(text=text)} ORDER BY doc_id"
        ).fetchall():
            found.setdefault(doc, AffectedFile(doc, dump, repo, path, "in raw_files, excluded from exact_dedup's next run"))
    return sorted(found.values(), key=lambda f: (f.repo, f.path, f.dump))


def optout_report(lake: Lake, optout: OptOutList | None = None, training_runs: Path | None = None) -> list[RequestReport]:
    optout = OptOutList.load() if optout is None else optout
    runs_root = training_runs if training_runs is not None else codelake_home() / "training" / "runs"
    reports = []
    con = connect(lake)
    try:
        for request in optout.requests:
            report = RequestReport(request, _affected(con, lake, request))
            ids = [f.doc_id for f in report.files]
            if ids:
                con.execute("CREATE OR REPLACE TEMP TABLE affected AS SELECT unnest($ids) AS doc_id", {"ids": ids})
                for stage in CODE_STAGES:
                    if lake.exists(stage):
                        n = con.execute(f'SELECT count(*) FROM "{stage}" SEMI JOIN affected USING (doc_id)').fetchone()[0]
                        if n and stage != "raw_files":
                            report.still_in[stage] = int(n)
                if lake.exists("raw_files"):
                    report.raw_text_in = dict(
                        con.execute("SELECT dump, count(*) FROM raw_files SEMI JOIN affected USING (doc_id) GROUP BY 1 ORDER BY 1").fetchall()
                    )
            report.shards, report.unreadable_shard_versions = shard_hits(lake, ids, request.sql_predicate(text=None))
            report.training_runs = training_runs_on({h.shard_folder for h in report.shards}, runs_root)
            reports.append(report)
    finally:
        con.close()
    return reports
