"""Per-file stages brought up to date incrementally: a new dump costs only its own files.

A per-file stage (transformed, filter_signals, filtered, code_corpus) decides each file from that file
alone, so its table at any time equals "every upstream file, decided". A run therefore plans an
`Increment` against the upstream table as it is now:

- `new`: upstream files it has not decided (a new dump's, or a file that became a survivor again);
- `gone`: files it decided that are no longer upstream (a new dump's copy took over their duplicate
  cluster, a dump was retired, a file was opted out).

It decides only `new` and withdraws `gone` in ONE Delta commit of its table: the data files holding a
withdrawn file are rewritten without it (file-level remove actions; untouched files stay as they are),
and the lineage rows of withdrawn files go the same way, so rows in = kept + dropped still holds and
every kept/dropped/changed file keeps exactly one reason. The lineage is committed first, stamped with
the table version about to be committed, then the table: a crash before the table's commit leaves the
previous table version, and the next run removes the lineage rows stamped past it before deciding again.

Everything is redone (`full`) when the stage's fingerprint changed (its rules, its code, or an
upstream stage's fingerprint: e.g. new transform rules change every text filter_signals reads) or the
table carries no state. A dump whose `raw_files` partition was rewritten since (re-ingested with new
rules, or retired) has all its files redone: the same doc_id may hold new content. The state (the
fingerprint and each dump's raw_files generation) is stored in the commit's metadata.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from deltalake import Schema
from deltalake.transaction import AddAction, CommitProperties, RemoveAction, create_table_with_add_actions

from codelake.lake.lineage import LINEAGE_SCHEMA, LINEAGE_TABLE, LineageSpool
from codelake.lake.tables import Lake

if TYPE_CHECKING:
    import pyarrow.dataset as ds  # imports pandas (0.5-1 s): only where a stage reads its held rows

STATE_KEY = "codelake.increment"  # commit metadata: {"fingerprint": ..., "dumps": {dump: raw_files generation}}
GENERATIONS_FROM = "raw_files"
_KEYS = pa.schema([("doc_id", pa.string()), ("dump", pa.string())])


def stage_fingerprint(*parts: object) -> str:
    """A short hash of what decides a stage's rows (rule fingerprints, code, seed, upstream fingerprint)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(str(part).encode() + b"\0")
    return digest.hexdigest()[:16]


def _canonical(value: object) -> object:
    """A form of `value` whose repr does not depend on hash order (sets are sorted)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, [(f.name, _canonical(getattr(value, f.name))) for f in dataclasses.fields(value)])
    if isinstance(value, dict):
        return sorted((repr(_canonical(k)), _canonical(v)) for k, v in value.items())
    if isinstance(value, (set, frozenset)):
        return sorted(repr(_canonical(v)) for v in value)
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, re.Pattern):
        return ("re", value.pattern, value.flags)
    return value


def value_fingerprint(value: object) -> str:
    """A stable hash of a rules object (dataclasses, dicts, sets, patterns): the same in every process."""
    return hashlib.sha256(repr(_canonical(value)).encode()).hexdigest()[:16]


def source_fingerprint(*files: Path) -> str:
    """The bytes of the code that computes a stage's rows: editing it recomputes them."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def stored_state(lake: Lake, name: str) -> dict | None:
    """The increment state the table's latest commit carries (None: no table, or written otherwise)."""
    if not lake.exists(name):
        return None
    raw = latest_write(lake, name).get(STATE_KEY)
    return json.loads(raw) if raw else None


def latest_write(lake: Lake, name: str, look_back: int = 50) -> dict:
    """The history entry of the table's latest commit that wrote rows: compaction and vacuum commits
    (codelake.lake.maintenance) change files, not what the stage decided, and carry no state."""
    from codelake.lake.maintenance import MAINTENANCE_OPERATIONS

    history = lake.table(name).history(look_back)
    return next((entry for entry in history if entry.get("operation") not in MAINTENANCE_OPERATIONS), {})


def upstream_fingerprint(lake: Lake, name: str) -> str:
    """What an upstream table's rows depend on beyond their doc_ids: its stored fingerprint when it is an
    incremental stage; for a whole-lake stage (its rows are raw_files' metadata) just its name."""
    state = stored_state(lake, name)
    return f"{name}:{state['fingerprint']}" if state and state.get("fingerprint") else name


def dump_generations(lake: Lake) -> dict[str, str]:
    """Per dump, a hash of the raw_files data files of its partition: it changes when the dump is re-ingested
    or retired, the only ways a doc_id's content can change."""
    if not lake.exists(GENERATIONS_FROM):
        return {}
    actions = pa.table(lake.table(GENERATIONS_FROM).get_add_actions(flatten=True))
    files: dict[str, list[str]] = {}
    for path, dump in zip(actions.column("path").to_pylist(), actions.column("partition.dump").to_pylist()):
        files.setdefault(dump, []).append(path)
    return {dump: hashlib.sha256("\0".join(sorted(paths)).encode()).hexdigest()[:16] for dump, paths in files.items()}


@dataclass
class _Held:
    """A table's (doc_id, dump) rows with the data file holding each."""

    keys: pa.Table  # doc_id, dump, any extra columns asked for, file
    fragments: dict[str, ds.FileFragment]
    dataset: ds.Dataset | None


def _held(lake: Lake, name: str, where: ds.Expression | None = None, extra: tuple[str, ...] = ()) -> _Held:
    columns = ["doc_id", "dump", *extra]
    empty = pa.table({c: pa.array([], pa.string()) for c in [*columns, "file"]})
    if not lake.exists(name):
        return _Held(empty, {}, None)
    dataset = lake.dataset(name)
    batches, fragments = [], {}
    for tagged in dataset.scanner(columns=columns, filter=where).scan_batches():
        batch = tagged.record_batch
        if batch.num_rows == 0:
            continue
        fragments[tagged.fragment.path] = tagged.fragment
        arrays = [batch.column(c) for c in columns] + [pa.array([tagged.fragment.path] * batch.num_rows, pa.string())]
        batches.append(pa.record_batch(arrays, names=[*columns, "file"]).cast(empty.schema))  # extra columns as text
    return _Held(pa.Table.from_batches(batches, empty.schema) if batches else empty, fragments, dataset)


@dataclass
class Increment:
    stage: str
    full: bool
    fingerprint: str
    generations: dict[str, str]
    new: pa.Table  # doc_id, dump: the upstream files this run decides
    gone: pa.Table  # doc_id: files decided before that this run withdraws
    redone_dumps: list[str] = field(default_factory=list)
    table_version: int | None = None  # the stage table's version this plan was made against
    _table: _Held | None = None
    _lineage: _Held | None = None

    @property
    def dumps(self) -> list[str]:
        """The dumps of the files to decide, sorted."""
        return sorted(set(self.new.column("dump").to_pylist()))

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """Make `increment_new` (doc_id, dump) visible to `con`'s queries (see `where`)."""
        con.register("increment_new", self.new)

    def where(self, alias: str = "") -> str:
        """An SQL condition on a table with doc_id and dump selecting the files to decide. The dump list lets
        the Delta scan skip every other dump's partition (their texts are never read)."""
        if self.full:
            return "true"
        if self.new.num_rows == 0:
            return "false"
        prefix = f"{alias}." if alias else ""
        dumps = ", ".join("'" + d.replace("'", "''") + "'" for d in self.dumps)
        return f"{prefix}dump IN ({dumps}) AND {prefix}doc_id IN (SELECT doc_id FROM increment_new)"

    def summary(self) -> dict:
        return {
            "mode": "full" if self.full else "incremental",
            "files_decided": self.new.num_rows,
            "files_withdrawn": self.gone.num_rows,
            "dumps_decided": ", ".join(self.dumps) or "-",
            "dumps_redone": ", ".join(self.redone_dumps) or "-",
            "data_files_rewritten": self.rewritten_files,
        }

    @property
    def rewritten_files(self) -> int:
        if self.full:
            return 0
        return len(_files_holding(self._table, self.gone, None)) + len(_files_holding(self._lineage, self.gone, self.table_version))

    @property
    def stale_lineage_rows(self) -> int:
        """Lineage rows stamped past the table's version: left by a run that crashed between its two commits."""
        if self._lineage is None or self._lineage.keys.num_rows == 0 or self.table_version is None:
            return 0
        return pc.sum(_stale(self._lineage.keys, self.table_version)).as_py() or 0


def _stale(rows: pa.Table, table_version: int) -> pa.ChunkedArray:
    return pc.greater(pc.cast(rows.column("version"), pa.int64()), table_version)


def _withdrawn(rows: pa.Table, gone: pa.Table, stale_after: int | None) -> pa.ChunkedArray:
    """Which of `rows` leave: a withdrawn file's, and, for lineage rows (`stale_after`: the table's
    version), those a crashed run stamped past it."""
    mask = pc.is_in(rows.column("doc_id"), value_set=gone.column("doc_id"))
    return mask if stale_after is None else pc.or_(mask, _stale(rows, stale_after))


def _files_holding(held: _Held | None, gone: pa.Table, stale_after: int | None) -> list[str]:
    if held is None or held.keys.num_rows == 0:
        return []
    return sorted(set(held.keys.filter(_withdrawn(held.keys, gone, stale_after)).column("file").to_pylist()))


def plan_increment(
    lake: Lake, con: duckdb.DuckDBPyConnection, stage: str, upstream: str, fingerprint: str, drops_in_lineage: bool = False
) -> Increment:
    """What this run of `stage` must decide and withdraw, comparing `upstream` (a table or view that `con`
    sees, with doc_id and dump) with what the stage holds: its table, plus its lineage drops when
    `drops_in_lineage` (a stage that drops files decided those too)."""
    generations = dump_generations(lake)
    upstream_keys = con.execute(f"SELECT doc_id, dump FROM {upstream}").to_arrow_table().cast(_KEYS)
    state = stored_state(lake, stage)
    empty_gone = pa.table({"doc_id": pa.array([], pa.string())})
    if state is None or state.get("fingerprint") != fingerprint:
        return Increment(stage, True, fingerprint, generations, upstream_keys, empty_gone)
    held = _held(lake, stage)
    import pyarrow.dataset as ds

    lineage = _held(lake, LINEAGE_TABLE, ds.field("stage") == stage, extra=("action", "version"))
    decided = held.keys.select(["doc_id", "dump"])
    if drops_in_lineage:
        dropped = lineage.keys.filter(pc.equal(lineage.keys.column("action"), "drop")).select(["doc_id", "dump"])
        decided = pa.concat_tables([decided, dropped])
    before = state.get("dumps", {})
    redone = sorted(d for d in set(before) | set(generations) if before.get(d) != generations.get(d))
    con.register("increment_upstream", upstream_keys)
    con.register("increment_decided", decided)
    con.register("increment_redone", pa.table({"dump": pa.array(redone, pa.string())}))
    try:
        new = con.execute(
            """SELECT doc_id, dump FROM increment_upstream
               WHERE dump IN (SELECT dump FROM increment_redone) OR doc_id NOT IN (SELECT doc_id FROM increment_decided)"""
        ).to_arrow_table()
        gone = con.execute(
            """SELECT DISTINCT doc_id FROM increment_decided
               WHERE dump IN (SELECT dump FROM increment_redone) OR doc_id NOT IN (SELECT doc_id FROM increment_upstream)"""
        ).to_arrow_table()
    finally:
        for name in ("increment_upstream", "increment_decided", "increment_redone"):
            con.unregister(name)
    # Only redone dumps that the stage held or now decides: a dump ingested but never reaching it is not news.
    touched = set(new.column("dump").to_pylist()) | set(decided.filter(pc.is_in(decided.column("doc_id"), value_set=gone.column("doc_id"))).column("dump").to_pylist())
    return Increment(stage, False, fingerprint, generations, new.cast(_KEYS), gone, [d for d in redone if d in touched], lake.version(stage),
                     held, lineage)


def _kept_of(held: _Held, files: list[str], gone: pa.Table, schema: pa.Schema, stale_after: int | None = None) -> Iterator[pa.RecordBatch]:
    """The rows of `files` other than the withdrawn ones, in the table's schema."""
    for path in files:
        table = held.fragments[path].to_table(schema=held.dataset.schema)
        table = table.filter(pc.invert(_withdrawn(table, gone, stale_after)))
        yield from table.select(schema.names).cast(schema).to_batches()


def _removes(lake: Lake, name: str, files: list[str]) -> list[RemoveAction]:
    if not files:
        return []
    actions = pa.table(lake.table(name).get_add_actions(flatten=True))
    wanted = set(files)
    now = int(time.time() * 1000)
    partition_columns = [c for c in actions.column_names if c.startswith("partition.")]
    removes = []
    for row in actions.to_pylist():
        path = unquote(row["path"])  # the log's path is URI-encoded; files are named as the writer named them
        if path in wanted:
            partitions = {c.removeprefix("partition."): row[c] for c in partition_columns}
            removes.append(RemoveAction(path, True, now, row["size_bytes"], partitions))
    if len(removes) != len(wanted):
        raise RuntimeError(f"{lake.table_path(name)}: {len(wanted) - len(removes)} data file(s) to rewrite are not in the table's log")
    return removes


def _commit(lake: Lake, name: str, actions: list, schema: pa.Schema, partition_by: list[str], mode: str,
            metadata: dict[str, str] | None, partition_filters=None) -> int:
    properties = CommitProperties(custom_metadata=metadata) if metadata else None
    if not lake.exists(name):
        create_table_with_add_actions(str(lake.table_path(name)), Schema.from_arrow(schema), [a for a in actions if isinstance(a, AddAction)],
                                      mode="overwrite", partition_by=partition_by, storage_options=lake.storage_options or None,
                                      commit_properties=properties)
    else:
        lake.table(name).create_write_transaction(actions, mode=mode, schema=schema, partition_by=partition_by,
                                                  partition_filters=partition_filters, commit_properties=properties)
    return lake.table(name).version()


def commit_increment(
    lake: Lake, increment: Increment, lineage: LineageSpool, rows: Iterable[pa.RecordBatch], schema: pa.Schema
) -> tuple[int, int]:
    """Commit the stage's decided `rows` (its table is partitioned by dump) and `lineage`'s rows for them,
    withdrawing `increment.gone` from both: the table's data files are written, then the lineage is
    committed (stamped with the table version about to be made), then the table in one commit.
    Returns (table version, lineage version)."""
    state = {STATE_KEY: json.dumps({"fingerprint": increment.fingerprint, "dumps": increment.generations}, sort_keys=True)}
    name = increment.stage
    try:
        if not increment.full and increment.new.num_rows == 0 and increment.gone.num_rows == 0 and not increment.stale_lineage_rows:
            for _ in rows:  # nothing to decide: the stage's query is empty; no new version
                pass
            return lake.version(name), lake.version(LINEAGE_TABLE)
        if increment.full:
            adds = lake.write_files(name, rows, schema, ["dump"])
            expected = _next_version(lake, name)
            lineage_version = lineage.commit(lake, expected)
            return _checked(expected, _commit(lake, name, adds, schema, ["dump"], "overwrite", state), name), lineage_version
        table_files = _files_holding(increment._table, increment.gone, None)
        adds = lake.write_files(name, chain(rows, _kept_of(increment._table, table_files, increment.gone, schema)), schema, ["dump"])
        table_actions = _removes(lake, name, table_files) + adds
        expected = _next_version(lake, name)
        lineage_version = lake.version(LINEAGE_TABLE)
        lineage_files = _files_holding(increment._lineage, increment.gone, increment.table_version)
        if lineage.count or lineage_files:  # else no lineage row decided or withdrawn (e.g. filter_signals)
            lineage_rows = chain(lineage._stamped_batches(expected),
                                 _kept_of(increment._lineage, lineage_files, increment.gone, LINEAGE_SCHEMA, increment.table_version))
            lineage_actions = _removes(lake, LINEAGE_TABLE, lineage_files) + lake.write_files(LINEAGE_TABLE, lineage_rows, LINEAGE_SCHEMA, ["stage", "dump"])
            lineage_version = _commit(lake, LINEAGE_TABLE, lineage_actions, LINEAGE_SCHEMA, ["stage", "dump"], "append", None)
        return _checked(expected, _commit(lake, name, table_actions, schema, ["dump"], "append", state), name), lineage_version
    finally:
        lineage.discard()


def _next_version(lake: Lake, name: str) -> int:
    version = lake.version(name)
    return 0 if version is None else version + 1


def _checked(expected: int, version: int, name: str) -> int:
    if version != expected:  # the lineage was stamped with `expected`: another writer committed in between
        raise RuntimeError(f"{name}: committed as version {version}, but another writer took version {expected}; run the stage again")
    return version
