"""Read-only SQL over the lake for people at a terminal (`codelake sql`): queries run, writes are refused.

An in-memory DuckDB database cannot be opened in read-only mode, so two locks stand in for it:

1. the statements: DuckDB's own parser (`duckdb.extract_statements`) classifies each one, and only
   queries run — SELECT and what DuckDB parses as one (WITH, FROM-first, VALUES, DESCRIBE, SHOW,
   SUMMARIZE, table-valued PRAGMAs such as `PRAGMA table_info`), and EXPLAIN [ANALYZE] of those.
   COPY, CREATE, INSERT/UPDATE/DELETE, ATTACH, SET, LOAD/INSTALL, EXPORT, CALL, ... are refused
   before anything runs, and what runs is the parsed statement itself, not the text again;
2. the files: external access is switched off except for the lake directory (so views and
   `delta_scan(..., version := N)` read it), and the configuration is locked, so no statement can
   reopen it. Even a write that slipped past (1) could not reach a file outside the lake.
"""

from __future__ import annotations

import re

import duckdb

from codelake.lake.sql import ConnectionFactory, DuckDBSettings, attach_storage, view_statements
from codelake.lake.tables import Lake

_QUERY = duckdb.StatementType.SELECT
_EXPLAIN = re.compile(r"^\s*EXPLAIN\s+(?:ANALY[SZ]E\s+)?", re.IGNORECASE)


class WriteRefused(ValueError):
    """A statement that could change something; nothing was run."""


def _refusal(statement: duckdb.Statement) -> str | None:
    if statement.type == _QUERY:
        return None
    if statement.type == duckdb.StatementType.EXPLAIN:
        # EXPLAIN ANALYZE runs its statement: allowed only when that statement is itself a query.
        inner = _EXPLAIN.sub("", statement.query, count=1)
        if inner != statement.query:
            try:
                explained = duckdb.extract_statements(inner)
            except duckdb.Error:
                explained = []
            if explained and all(s.type == _QUERY for s in explained):
                return None
    kind = statement.type.name.replace("_", " ")
    text = " ".join(statement.query.split())[:80] or kind
    return f"refused: `{text}` is a {kind} statement; codelake sql only reads (SELECT, WITH, FROM, VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN)"


def read_only_statements(sql: str) -> list[duckdb.Statement]:
    """The statements of `sql`, parsed by DuckDB (a syntax error raises DuckDB's own ParserException);
    raises WriteRefused, naming the statement, when any of them is not a query."""
    statements = duckdb.extract_statements(sql)
    if not statements:
        raise ValueError("no SQL statement given")
    for statement in statements:
        refusal = _refusal(statement)
        if refusal:
            raise WriteRefused(refusal)
    return statements


def read_only_connection(lake: Lake, connections: ConnectionFactory | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with a view per lake table and `table_at_version(name, version)`, able to read the
    lake directory and nothing else (its spill directory aside), its configuration locked."""
    con = (connections or DuckDBSettings().open)()
    try:
        attach_storage(con, lake)
        for statement in view_statements(lake):
            con.execute(statement)
        lake_dir = str(lake.root.resolve()).replace("'", "''")  # an object-store lake: its s3:// prefix
        con.execute(f"SET allowed_directories = ['{lake_dir}/']")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con
