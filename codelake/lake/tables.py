"""Delta Lake tables: one per stage, each write one atomic commit, every version readable again."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
from deltalake import DeltaTable, Schema
from deltalake.transaction import AddAction, create_table_with_add_actions

from codelake.lake.parquet_files import write_partitioned_files
from codelake.lake.prefetch import prefetched
from codelake.lake.storage import ObjectStorePath, filesystem_for, is_object_store, with_environment

if TYPE_CHECKING:
    import pyarrow.dataset as ds  # importing it imports pandas (0.5-1 s): only where a dataset is used


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class Lake:
    """A directory of Delta tables, on local disk or under an object-store prefix (`s3://bucket/lake`, with
    delta-rs `storage_options`, completed from the environment's AWS_* variables). Writers commit once per
    call, so a crash leaves the last version."""

    def __init__(self, root: str | Path, storage_options: dict[str, str] | None = None):
        self.remote = is_object_store(root)
        # An object-store root is a URI that joins like a Path; a local root is a Path.
        self.root: Path | ObjectStorePath = ObjectStorePath(str(root).rstrip("/")) if self.remote else Path(root)
        self.storage_options = with_environment(storage_options) if self.remote else {}
        self.configured_storage_options = dict(storage_options or {})  # without the environment's keys: what may travel to workers

    def table_path(self, name: str) -> Path | ObjectStorePath:
        return self.root / name

    def table_names(self) -> list[str]:
        """The Delta tables of the lake, sorted."""
        if not self.remote:
            return sorted(p.parent.name for p in self.root.glob("*/_delta_log")) if self.root.is_dir() else []
        fs, prefix = filesystem_for(self.root, self.storage_options)
        import pyarrow.fs as pafs

        folders = [f for f in fs.get_file_info(pafs.FileSelector(prefix, allow_not_found=True)) if f.type == pafs.FileType.Directory]
        return sorted(f.base_name for f in folders if fs.get_file_info(f"{f.path}/_delta_log").type == pafs.FileType.Directory)

    def exists(self, name: str) -> bool:
        if self.remote:
            return DeltaTable.is_deltatable(str(self.table_path(name)), storage_options=self.storage_options)
        return (self.table_path(name) / "_delta_log").is_dir()

    def version(self, name: str) -> int | None:
        if not self.exists(name):
            return None
        return self.table(name).version()

    def table(self, name: str, version: int | None = None) -> DeltaTable:
        return DeltaTable(str(self.table_path(name)), version=version, storage_options=self.storage_options or None)

    def dataset(self, name: str, version: int | None = None) -> ds.Dataset:
        """An Arrow dataset of the table's files at `version` (latest by default): lazy, projectable.

        Read through Arrow's own filesystem rooted at the table, not deltalake's default (a Python
        filesystem handler): with that one, a process whose Arrow scan thread still held the handler at
        interpreter exit aborted (exit 134, apache/arrow#36389, delta-io/delta-rs#2184), and every read
        went through Python (the GIL)."""
        import pyarrow.fs as pafs

        if self.remote:
            filesystem, prefix = filesystem_for(self.table_path(name), self.storage_options)
        else:
            filesystem, prefix = pafs.LocalFileSystem(), str(Path(self.table_path(name)).resolve())
        return self.table(name, version).to_pyarrow_dataset(filesystem=pafs.SubTreeFileSystem(prefix, filesystem))

    def write_files(self, name: str, batches: Iterable[pa.RecordBatch], schema: pa.Schema, partition_by: list[str]) -> list[AddAction]:
        """Write `batches` as Parquet data files into table `name`'s folder, uncommitted, and return their
        add actions (the caller commits them: `write`, an incremental stage, or the driver of Ray tasks)."""
        table_dir = self.table_path(name)
        if self.remote:
            filesystem, folder = filesystem_for(table_dir, self.storage_options)
            return write_partitioned_files(folder, prefetched(batches), schema, partition_by, filesystem=filesystem)
        table_dir.mkdir(parents=True, exist_ok=True)
        return write_partitioned_files(table_dir, prefetched(batches), schema, partition_by)

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
        actions = self.write_files(name, batches, schema, partition_by)
        if not self.exists(name):
            create_table_with_add_actions(str(table_dir), Schema.from_arrow(schema), actions, mode="overwrite", partition_by=partition_by or None,
                                          storage_options=self.storage_options or None)
        else:
            filters = [(column, "=", value) for column, value in replace_where.items()] or None
            self.table(name).create_write_transaction(
                actions,
                mode="append" if append else "overwrite",
                schema=schema,
                partition_by=partition_by or None,
                partition_filters=None if append else filters,
            )
        return self.table(name).version()

    def count(self, name: str, filter_expression: ds.Expression | None = None, version: int | None = None) -> int:
        if not self.exists(name):
            return 0
        return self.dataset(name, version).count_rows(filter=filter_expression)
