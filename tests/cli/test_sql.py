"""`codelake sql`: read-only SQL over the lake's tables, printed or written; bad SQL and writes refused cleanly."""

from __future__ import annotations

import csv

import duckdb
import pyarrow.parquet as pq
import pytest

from codelake.cli.main import main
from codelake.lake import Lake
from codelake.lake.read_only import WriteRefused, read_only_connection, read_only_statements
from corpusfactory import write_corpus


@pytest.fixture
def lake(tmp_path) -> Lake:
    lake = Lake(tmp_path / "lake")
    write_corpus(lake, first=12, second=8)
    return lake


def _lake_files(lake: Lake) -> set[str]:
    return {str(p.relative_to(lake.root)) for p in lake.root.rglob("*")}


def test_a_query_prints_a_table_over_the_lake_views(lake, capsys):
    assert main(["--lake", str(lake.root), "sql", "SELECT dump, count(*) AS files FROM code_corpus GROUP BY dump ORDER BY dump"]) == 0
    out = capsys.readouterr().out
    assert "d1" in out and "12" in out and "d2" in out and "8" in out and "BIGINT" in out and "2 rows" in out


def test_printing_stops_at_max_rows_and_says_so(lake, capsys):
    assert main(["--lake", str(lake.root), "sql", "SELECT path FROM code_corpus ORDER BY path", "--max-rows", "3"]) == 0
    out = capsys.readouterr().out
    assert "first 3 rows" in out


def test_time_travel_by_delta_scan_and_table_at_version(lake, capsys):
    path = lake.table_path("code_corpus")
    sql = f"SELECT count(*) AS n FROM delta_scan('{path}', version := 0); SELECT count(*) AS m FROM table_at_version('code_corpus', 1)"
    assert main(["--lake", str(lake.root), "sql", sql]) == 0
    out = capsys.readouterr().out
    assert "12" in out and "20" in out


def test_csv_and_parquet_hold_the_whole_result(lake, tmp_path, capsys):
    query = "SELECT doc_id, path, stars, commit_time FROM code_corpus ORDER BY doc_id"
    expected = duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{lake.root}/code_corpus/**/*.parquet')").fetchone()[0]
    assert main(["--lake", str(lake.root), "sql", query, "--csv", str(tmp_path / "out" / "r.csv")]) == 0
    with open(tmp_path / "out" / "r.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == expected == 20 and rows[0].keys() == {"doc_id", "path", "stars", "commit_time"}
    assert rows == sorted(rows, key=lambda r: r["doc_id"])
    assert main(["--lake", str(lake.root), "sql", query, "--parquet", str(tmp_path / "r.parquet")]) == 0
    table = pq.read_table(tmp_path / "r.parquet")
    assert table.num_rows == 20 and table.column("doc_id").to_pylist() == [r["doc_id"] for r in rows]
    assert "20 rows written" in capsys.readouterr().err


def test_bad_sql_prints_duckdbs_message_and_exits_1(lake, capsys):
    assert main(["--lake", str(lake.root), "sql", "SELEC count(*) FROM code_corpus"]) == 1
    err = capsys.readouterr().err
    assert "Parser Error" in err and "SELEC" in err and "Traceback" not in err
    assert main(["--lake", str(lake.root), "sql", "SELECT * FROM no_such_table"]) == 1
    err = capsys.readouterr().err
    assert "Catalog Error" in err and "no_such_table" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "statement",
    [
        "COPY code_corpus TO '{out}/copy.csv'",
        "COPY code_corpus TO '{lake}/code_corpus/stolen.parquet' (FORMAT parquet)",  # writing into the lake
        "CREATE TABLE t AS SELECT 1",
        "CREATE VIEW v AS SELECT 1",
        "INSERT INTO code_corpus SELECT * FROM code_corpus",
        "DELETE FROM code_corpus",
        "ATTACH '{out}/other.duckdb' AS other",
        "SET enable_external_access = true",
        "INSTALL delta",
        "EXPORT DATABASE '{out}/db'",
        "EXPLAIN ANALYZE COPY code_corpus TO '{out}/copy.csv'",
        "SELECT 1; DROP VIEW code_corpus",
    ],
)
def test_writes_are_refused_before_anything_runs(lake, tmp_path, capsys, statement):
    out = tmp_path / "out"
    out.mkdir()
    before, version = _lake_files(lake), lake.version("code_corpus")
    assert main(["--lake", str(lake.root), "sql", statement.format(out=out, lake=lake.root)]) == 1
    err = capsys.readouterr().err
    assert "refused" in err and "only reads" in err and "Traceback" not in err
    assert not any(out.iterdir()) and _lake_files(lake) == before and lake.version("code_corpus") == version


def test_read_only_statements_allow_queries_of_every_shape():
    for sql in ["SELECT 1", "WITH a AS (SELECT 1) SELECT * FROM a", "FROM code_corpus", "VALUES (1)", "DESCRIBE code_corpus",
                "SHOW TABLES", "SUMMARIZE code_corpus", "PRAGMA table_info('code_corpus')", "EXPLAIN SELECT 1", "EXPLAIN ANALYZE SELECT 1"]:
        assert read_only_statements(sql)
    with pytest.raises(WriteRefused):
        read_only_statements("PRAGMA enable_profiling")
    with pytest.raises(duckdb.ParserException):
        read_only_statements("SELECT FROM WHERE")


def test_the_connection_itself_reads_only_the_lake(lake, tmp_path):
    """Second lock: even a statement run on the connection directly cannot reach files outside the lake,
    and cannot unlock that."""
    con = read_only_connection(lake)
    try:
        assert con.execute("SELECT count(*) FROM code_corpus").fetchone()[0] == 20
        secret = tmp_path / "elsewhere.csv"
        secret.write_text("a\n1\n")
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"SELECT * FROM read_csv('{secret}')")
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"COPY (SELECT 1) TO '{tmp_path / 'leak.csv'}'")
        with pytest.raises(duckdb.Error, match="locked"):
            con.execute("SET enable_external_access = true")
        assert not (tmp_path / "leak.csv").exists()
    finally:
        con.close()


def test_external_files_are_not_readable_from_the_cli(lake, tmp_path, capsys):
    other = tmp_path / "other.csv"
    other.write_text("a\n1\n")
    assert main(["--lake", str(lake.root), "sql", f"SELECT * FROM read_csv('{other}')"]) == 1
    assert "Permission Error" in capsys.readouterr().err
