"""The driver's steps at growing input sizes, through the real codelake functions on synthetic keys.

Each step runs on `n` synthetic rows shaped like the lake's (32-hex doc ids, SHA-256 contents, LSH band keys as
the `fuzzy_signatures` list column, lineage rows as the stages spool them), so its growth with `n` can be fitted
without building a crawl of that size:

* `exact_grouping`: `rank_copies` (exact_dedup's window query: copies grouped by SHA-256, survivor ranked by
  rules/exact_dedup.yaml), 1 in `1 / exact_keep` files a distinct content, as in a crawl.
* `fuzzy_candidates`, `fuzzy_propagation`, `fuzzy_survivors`: `build_clusters` over 16 bands per document (the
  refinecode preset's layout), split by the statements it issues: bucket and pair joins, min-label
  propagation rounds, and the survivor ranking. 3 in 50 documents are near-duplicate copies chained to a
  root (copy k shares band k with copy k-1), so propagation needs several rounds as real chains do.
* `lineage_write`: a `LineageSpool` of `n` drop rows committed to a lineage Delta table (`commit`).
* `delta_commit`: one overwrite commit of `n` add actions over a table already holding `n` files (the single
  commit the driver makes after the workers wrote their Parquet files): delta-rs writes n adds + n removes.

CPU seconds are this process's (`time.process_time`: every DuckDB and delta-rs thread counted), so a loaded
machine slows the wall clock but barely the figure; wall seconds are kept too.
"""

from __future__ import annotations

import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
from deltalake import Schema
from deltalake.transaction import AddAction, create_table_with_add_actions

from codelake.exact_dedup.survivors import SurvivorOrder, rank_copies
from codelake.fuzzy_dedup.clusters import build_clusters
from codelake.lake import Lake, LineageSpool
from codelake.lake.sql import DuckDBSettings

BANDS = 16  # the refinecode preset: 16 bands x 128 rows
CHAIN_EVERY = 50  # documents 1..CHAIN_LENGTH of every 50 are copies chained to document 0 of the 50
CHAIN_LENGTH = 3

_METADATA = """'dump-' || (i % 4) AS dump, 'org/repo-' || (i // 40) AS repo, 'src/f' || i || '.py' AS path,
               'Python' AS language, (1000 + hash(i, 'size') % 30000)::BIGINT AS size, (hash(i, 'stars') % 500)::BIGINT AS stars,
               TIMESTAMPTZ '2020-01-01 00:00:00+00' + to_seconds((hash(i, 'time') % 100000000)::BIGINT) AS commit_time"""


class TimedConnection:
    """A DuckDB connection that adds each statement's CPU and wall seconds to the step its SQL names."""

    def __init__(self, con: duckdb.DuckDBPyConnection, step_of):
        self._con, self._step_of = con, step_of
        self.cpu: dict[str, float] = defaultdict(float)
        self.wall: dict[str, float] = defaultdict(float)

    def execute(self, sql: str, *args):
        cpu, wall = time.process_time(), time.perf_counter()
        result = self._con.execute(sql, *args)
        step = self._step_of(sql)
        self.cpu[step] += time.process_time() - cpu
        self.wall[step] += time.perf_counter() - wall
        return result

    def __getattr__(self, name):
        return getattr(self._con, name)


def _fuzzy_step(sql: str) -> str:
    if "TEMP TABLE clustered" in sql:
        return "fuzzy_survivors"
    if any(f"TEMP TABLE {t} " in sql for t in ("edges", "labels", "next_labels")) or "n.label <> l.label" in sql:
        return "fuzzy_propagation"
    return "fuzzy_candidates"


@contextmanager
def _measured(out: dict, step: str):
    cpu, wall = time.process_time(), time.perf_counter()
    yield
    out[step] = {"cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall}


def _connection() -> duckdb.DuckDBPyConnection:
    con = DuckDBSettings(memory_limit="4GB").open()
    con.execute("SET enable_progress_bar = false")
    return con


def _duckdb_bytes(con: duckdb.DuckDBPyConnection) -> int:
    """What the connection's tables hold once a step has built them (in memory or spilled; not a peak): the
    driver's memory per row, extrapolated."""
    return int(con.execute("SELECT sum(memory_usage_bytes) + sum(temporary_storage_bytes) FROM duckdb_memory()").fetchone()[0])


def exact_grouping(n: int, exact_keep: float) -> dict:
    """`rank_copies` over `n` files of which a share `exact_keep` hold distinct contents."""
    con = _connection()
    try:
        contents = max(1, round(n * exact_keep))
        con.execute(
            f"""CREATE TABLE files AS SELECT substr(md5(i::VARCHAR), 1, 32) AS doc_id, {_METADATA},
                       sha256((i % {contents})::VARCHAR) AS sha256
                FROM range({n}) t(i)"""
        )
        out: dict = {}
        with _measured(out, "exact_grouping"):
            rank_copies(con, "(SELECT * FROM files)", SurvivorOrder.load())
            survivors = con.execute("SELECT count(*) FROM ranked WHERE rank = 1").fetchone()[0]
        if survivors != contents:
            raise AssertionError(f"exact_grouping: {survivors} survivors of {n} files, expected {contents}")
        out["exact_grouping"]["duckdb_bytes"] = _duckdb_bytes(con)
        return out
    finally:
        con.close()


def fuzzy_clustering(n: int) -> dict:
    """`build_clusters` over `n` documents' band keys; the three parts timed apart, plus the clusters found."""
    raw = _connection()
    try:
        raw.execute(f"CREATE TABLE docs_src AS SELECT substr(md5(i::VARCHAR), 1, 32) AS doc_id, {_METADATA} FROM range({n}) t(i)")
        # Copy k (1..CHAIN_LENGTH) of root r shares band k with copy k-1 and band k+1 with copy k+1.
        raw.execute(
            f"""CREATE TABLE signatures AS
                SELECT substr(md5(i::VARCHAR), 1, 32) AS doc_id,
                       [(hash(CASE WHEN i % {CHAIN_EVERY} <= {CHAIN_LENGTH}
                                    AND b BETWEEN greatest(i % {CHAIN_EVERY}, 1) AND least(i % {CHAIN_EVERY} + 1, {CHAIN_LENGTH})
                                   THEN i - i % {CHAIN_EVERY} ELSE i END, b) >> 1)::BIGINT FOR b IN range({BANDS})] AS band_keys
                FROM range({n}) t(i)"""
        )
        con = TimedConnection(raw, _fuzzy_step)
        stats = build_clusters(
            con,
            "SELECT * FROM docs_src",
            "SELECT doc_id, generate_subscripts(band_keys, 1) AS band, unnest(band_keys) AS key FROM signatures",
            SurvivorOrder.load(),
        )
        removed = raw.execute("SELECT count(*) FROM clustered WHERE rank > 1").fetchone()[0]
        chains = sum(1 for i in range(0, n, CHAIN_EVERY) if i + 1 < n)
        expected = sum(min(CHAIN_LENGTH, n - 1 - i) for i in range(0, n, CHAIN_EVERY) if i + 1 < n)
        if removed != expected:
            raise AssertionError(f"fuzzy_clustering: {removed} near duplicates removed of {n} documents, planted {expected} in {chains} chains")
        out = {step: {"cpu_s": con.cpu[step], "wall_s": con.wall[step]} for step in ("fuzzy_candidates", "fuzzy_propagation", "fuzzy_survivors")}
        out["fuzzy_candidates"]["propagation_rounds"] = stats["propagation_rounds"]
        out["fuzzy_candidates"]["duckdb_bytes"] = _duckdb_bytes(raw)
        return out
    finally:
        raw.close()


def lineage_write(n: int, workdir: Path) -> dict:
    """`n` drop rows spooled and committed to a fresh lake's lineage table."""
    lake = Lake(workdir / "lineage-lake")
    ids = [f"{i:032x}" for i in range(n)]
    batch = pa.RecordBatch.from_pydict(
        {
            "doc_id": ids,
            "action": ["drop"] * n,
            "reason": ["exact_duplicate"] * n,
            "detail": [f'{{"survivor": "{i:032x}"}}' for i in range(n)],
            "dump": [f"dump-{i % 4}" for i in range(n)],
            "repo": [f"org/repo-{i // 40}" for i in range(n)],
            "path": [f"src/f{i}.py" for i in range(n)],
        }
    )
    out: dict = {}
    spool = LineageSpool("exact_dedup", spool_dir=workdir)
    with _measured(out, "lineage_write"):
        for offset in range(0, n, 10_000):
            spool.record_batch(batch.slice(offset, 10_000))
        spool.commit(lake, version=1)
    if lake.count("lineage") != n:
        raise AssertionError(f"lineage_write: {lake.count('lineage')} rows committed of {n}")
    return out


def delta_commit(n: int, workdir: Path) -> dict:
    """One overwrite commit of `n` add actions (the driver's commit after its workers wrote `n` Parquet files)
    over a table holding `n` files already; the files themselves are never read by a commit."""
    table = workdir / "commit-table"
    schema = pa.schema([("doc_id", pa.string()), ("dump", pa.string())])

    def adds(tag: str) -> list[AddAction]:
        stamp = int(time.time() * 1000)
        return [AddAction(f"dump=d{i % 4}/part-{tag}-{i:07d}.parquet", 128 << 20, {"dump": f"d{i % 4}"}, stamp, True, '{"numRecords": 9000}')
                for i in range(n)]

    create_table_with_add_actions(str(table), Schema.from_arrow(schema), adds("a"), mode="overwrite", partition_by=["dump"])
    second = adds("b")
    out: dict = {}
    lake = Lake(workdir)
    with _measured(out, "delta_commit"):
        lake.table("commit-table").create_write_transaction(second, mode="overwrite", schema=schema, partition_by=["dump"])
    files = len(lake.table("commit-table").file_uris())
    if files != n:
        raise AssertionError(f"delta_commit: table holds {files} files after committing {n}")
    # What every reader replays until a checkpoint: the commit's JSON entry (n adds and n removes).
    out["delta_commit"]["log_bytes"] = max((table / "_delta_log").glob("*.json"), key=lambda f: f.name).stat().st_size
    return out


# step -> (what its n counts, how it runs on the driver: "threads" parallel over the driver's cores, "one" a single thread)
STEPS = {
    "exact_grouping": ("files", "threads"),
    "fuzzy_candidates": ("documents", "threads"),
    "fuzzy_propagation": ("documents", "threads"),
    "fuzzy_survivors": ("documents", "threads"),
    "lineage_write": ("lineage_rows", "one"),
    "delta_commit": ("add_actions", "one"),
}


def measure_sql_steps(base_rows: int, base_commit_files: int, multiples: list[int], exact_keep: float) -> dict[str, list[dict]]:
    """{step: [{n, cpu_s, wall_s}, ...]} for every step of STEPS at base * each multiple (commits: base_commit_files * m)."""
    points: dict[str, list[dict]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="codelake-bench-scaling-") as tmp:
        for m in multiples:
            n = base_rows * m
            measured = {**exact_grouping(n, exact_keep), **fuzzy_clustering(n)}
            work = Path(tmp) / f"x{m}"
            work.mkdir()
            measured.update(lineage_write(n, work))
            for step, figures in measured.items():
                points[step].append({"n": n, **figures})
            points["delta_commit"].append({"n": base_commit_files * m, **delta_commit(base_commit_files * m, work)["delta_commit"]})
    return dict(points)
