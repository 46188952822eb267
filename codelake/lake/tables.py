"""Delta Lake tables: one per stage, each write one atomic commit, every version readable again."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
from deltalake import DeltaTable, Schema
from deltalake.transaction import create_table_with_add_actions

from codelake.lake.parquet_files import write_partitioned_files
from codelake.lake.prefetch import prefetched


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class Lake:
    """A directory of Delta tables. Writers commit once per call, so a crash leaves the last version."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def table_path(self, name: str) -> Path:
        return self.root / name

    def exists(self, name: str) -> bool:
        return (self.table_path(name) / "_delta_log").is_dir()

    def version(self, name: str) -> int | None:
        if not self.exists(name):
            return None
        return DeltaTable(str(self.table_path(name))).version()

    def table(self, name: str, version: int | None = None) -> DeltaTable:
        return DeltaTable(str(self.table_path(name)), version=version)

    def dataset(self, name: str, version: int | None = None) -> ds.Dataset:
        """An Arrow dataset of the table's files at `version` (latest by default): lazy, projectable."""
        return self.table(name, version).to_pyarrow_dataset()

    def write(
        self,
        name: str,
        batches: Iterable[pa.RecordBatch],
        schema: pa.Schema,
        *,
        partition_by: list[str] | None = None,
        replace_where: dict[str, str] | None = None,
        append: bool = False,
    ) -> int:
        """Stream `batches` into table `name` as ONE commit and return the new version.

        `append` adds the rows to the table; otherwise rows are replaced:
        with `replace_where` (partition column -> value) only those partitions (one dump's rows),
        without it the whole table. Data files are written first, streaming,
        and the commit is the last step, so an interrupted write leaves the previous version as the
        table's state (its orphan files are never referenced).
        """
        partition_by = partition_by or []
        replace_where = replace_where or {}
        unknown = set(replace_where) - set(partition_by)
        if unknown:
            raise ValueError(f"replace_where columns {sorted(unknown)} must be partition columns of {name}")
        table_dir = self.table_path(name)
        table_dir.mkdir(parents=True, exist_ok=True)
        actions = write_partitioned_files(table_dir, prefetched(batches), schema, partition_by)
        if not self.exists(name):
            create_table_with_add_actions(str(table_dir), Schema.from_arrow(schema), actions, mode="overwrite", partition_by=partition_by or None)
        else:
            filters = [(column, "=", value) for column, value in replace_where.items()] or None
            DeltaTable(str(table_dir)).create_write_transaction(
                actions,
                mode="append" if append else "overwrite",
                schema=schema,
                partition_by=partition_by or None,
                partition_filters=None if append else filters,
            )
        return DeltaTable(str(table_dir)).version()

    def count(self, name: str, filter_expression: ds.Expression | None = None, version: int | None = None) -> int:
        if not self.exists(name):
            return 0
        return self.dataset(name, version).count_rows(filter=filter_expression)
