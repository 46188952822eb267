from __future__ import annotations

import duckdb
from dagster import ConfigurableResource
from pydantic import Field

from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.settings import default_lake_root


class LakeResource(ConfigurableResource):
    """The Delta Lake tables of every stage plus the lineage table, and read-only DuckDB SQL over them."""

    root: str = Field(default_factory=lambda: str(default_lake_root()), description="Directory holding one Delta table per asset, or an s3:// URI")
    storage_options: dict[str, str] = Field(default_factory=dict, description="delta-rs options of an object-store lake that are not secrets "
                                            "(AWS_ENDPOINT_URL, AWS_REGION); keys come from the environment's AWS_* variables")

    def lake(self) -> Lake:
        return Lake(self.root, self.storage_options or None)

    def sql(self) -> duckdb.DuckDBPyConnection:
        """A read-only DuckDB connection with a view per table (`raw_files`, `lineage`, ...)."""
        return connect(self.lake())
