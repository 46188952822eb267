"""Which artefacts hold given files: the shard stages' versions (every version, by time travel) and the
training runs that trained on those shards, or started from a checkpoint of one that did."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from codelake.lake import Lake
from codelake.lake.sql import connect, delta_scan
from codelake.stages import SHARD_STAGES


@dataclass(frozen=True)
class ShardHit:
    stage: str
    version: int
    shard_folder: str
    files: int
    tokens: int


@dataclass(frozen=True)
class RunHit:
    run_dir: Path
    shard_folder: str | None  # the affected shard folder it trained on; None when inherited
    inherited_from: Path | None  # the affected run whose checkpoint it started from

    @property
    def name(self) -> str:
        return str(self.run_dir.parent.name + "/" + self.run_dir.name)


def shard_hits(lake: Lake, doc_ids: list[str], predicate: str | None = None) -> tuple[list[ShardHit], list[str]]:
    """Per shard stage and table version, the shard folders holding any of `doc_ids` (or a row matching
    the SQL `predicate` over repo/path), and the versions that could not be read (vacuumed)."""
    hits: list[ShardHit] = []
    unreadable: list[str] = []
    if not any(lake.exists(stage) for stage in SHARD_STAGES):
        return hits, unreadable
    con = connect(lake)
    try:
        con.register("wanted", pa.table({"doc_id": pa.array(sorted(set(doc_ids)), pa.string())}))
        where = "doc_id IN (SELECT doc_id FROM wanted)" + (f" OR ({predicate})" if predicate else "")
        for stage in SHARD_STAGES:
            if not lake.exists(stage):
                continue
            for version in range(lake.version(stage) + 1):
                try:
                    rows = con.execute(
                        f"SELECT shard_folder, count(*), coalesce(sum(tokens), 0) FROM {delta_scan(lake, stage, version)}"
                        f" WHERE {where} GROUP BY 1 ORDER BY 1"
                    ).fetchall()
                except Exception as err:  # noqa: BLE001 - an old version whose files were vacuumed
                    unreadable.append(f"{stage} version {version}: {type(err).__name__}")
                    continue
                hits += [ShardHit(stage, version, folder, int(n), int(tokens)) for folder, n, tokens in rows]
    finally:
        con.close()
    return hits, unreadable


def training_runs_on(shard_folders: set[str], runs_root: Path) -> list[RunHit]:
    """Runs (their `run.json`) that trained on one of `shard_folders`, then every run that started from a
    checkpoint under an affected run's folder (annealing after pre-training, SFT after annealing)."""
    records = {}
    for path in sorted(runs_root.rglob("run.json")) if runs_root.is_dir() else []:
        try:
            records[path.parent] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    hits: dict[Path, RunHit] = {
        run_dir: RunHit(run_dir, record["shard_folder"], None)
        for run_dir, record in records.items()
        if record.get("shard_folder") in shard_folders
    }
    grew = True
    while grew:
        grew = False
        for run_dir, record in records.items():
            init = record.get("init_from")
            if run_dir in hits or not init:
                continue
            parent = next((d for d in hits if Path(init).is_relative_to(d)), None)
            if parent is not None:
                hits[run_dir] = RunHit(run_dir, None, parent)
                grew = True
    return sorted(hits.values(), key=lambda h: str(h.run_dir))
