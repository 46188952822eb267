"""`codelake sql "SELECT …"`: read-only SQL over every lake table, printed as a table or written to a file."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from codelake.lake import Lake
from codelake.lake.read_only import WriteRefused, read_only_connection, read_only_statements

BATCH_ROWS = 10_000
_CELL_CHARS = 120


def _cell(value) -> str:
    if value is None:
        return "[dim]NULL[/dim]"
    text = str(value).replace("\n", "⏎")
    text = text if len(text) <= _CELL_CHARS else text[: _CELL_CHARS - 1] + "…"
    return text.replace("[", r"\[")  # rich markup would eat brackets in the data


def _print_result(reader: pa.RecordBatchReader, types: list[str], console: Console, max_rows: int) -> None:
    table = Table(*(f"{f.name}\n[dim]{t}[/dim]" for f, t in zip(reader.schema, types)))
    shown, more = 0, False
    for batch in reader:  # stops one batch past the limit at most: a large result is never read whole
        if shown == max_rows:
            more = batch.num_rows > 0
            if more:
                break
            continue
        taken = batch.slice(0, max_rows - shown)
        for row in taken.to_pylist():
            table.add_row(*(_cell(v) for v in row.values()))
        shown += taken.num_rows
        if taken.num_rows < batch.num_rows:
            more = True
            break
    table.caption = f"first {shown:,} rows (--max-rows N, or --csv/--parquet FILE for all)" if more else f"{shown:,} rows"
    console.print(table)


def _write(reader: pa.RecordBatchReader, path: Path, file_format: str) -> int:
    """Stream the result into `path` (written under a temporary name, renamed when complete)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    rows = 0
    try:
        if file_format == "parquet":
            with pq.ParquetWriter(scratch, reader.schema, compression="zstd") as writer:
                for batch in reader:
                    writer.write_batch(batch)
                    rows += batch.num_rows
        else:
            # DuckDB's CSV writer renders every type (structs, lists, timestamps) as DuckDB prints it.
            writer = duckdb.connect()
            try:
                counted = _Counting(reader)
                writer.register("result", counted.stream())
                quoted = str(scratch).replace("'", "''")
                writer.execute(f"COPY (FROM result) TO '{quoted}' (FORMAT csv, HEADER)")
                rows = counted.rows
            finally:
                writer.close()
        os.replace(scratch, path)
    finally:
        scratch.unlink(missing_ok=True)
    return rows


class _Counting:
    def __init__(self, reader: pa.RecordBatchReader):
        self.reader, self.rows = reader, 0

    def stream(self) -> pa.RecordBatchReader:
        def batches():
            for batch in self.reader:
                self.rows += batch.num_rows
                yield batch

        return pa.RecordBatchReader.from_batches(self.reader.schema, batches())


def run_sql(
    lake: Lake, sql: str, console: Console, csv: str | None = None, parquet: str | None = None, max_rows: int = 100
) -> int:
    """Exit status: 0, or 1 with DuckDB's message (bad SQL, unknown table) or the refusal of a write."""
    errors = Console(stderr=True)
    try:
        statements = read_only_statements(sql)
        out = csv or parquet
        if out and len(statements) != 1:
            raise ValueError(f"--csv/--parquet write one query's result; got {len(statements)} statements")
        con = read_only_connection(lake)
        try:
            for statement in statements:
                result = con.execute(statement)
                if result.description is None:
                    continue
                reader = result.to_arrow_reader(BATCH_ROWS)
                if out:
                    rows = _write(reader, Path(out), "csv" if csv else "parquet")
                    errors.print(f"{rows:,} rows written to {out}")
                elif statement.type == duckdb.StatementType.EXPLAIN:
                    for batch in reader:
                        for plan in batch.column(batch.num_columns - 1).to_pylist():
                            console.print(plan, markup=False, highlight=False)
                else:
                    _print_result(reader, [str(d[1]) for d in result.description], console, max_rows)
        finally:
            con.close()
    except duckdb.Error as err:
        errors.print(str(err), markup=False, highlight=False, soft_wrap=True)
        return 1
    except (WriteRefused, ValueError) as err:
        errors.print(f"[red]error:[/red] {escape(str(err))}", soft_wrap=True)
        return 1
    return 0
