from __future__ import annotations

import duckdb
from dagster import ConfigurableResource
from pydantic import Field

from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.settings import default_lake_root


class LakeResource(ConfigurableResource):
    """The Delta Lake tables of every stage plus the lineage table, and read-only DuckDB SQL over them."""

    root: str = Field(default_factory=lambda: str(default_lake_root()), description="Directory holding one Delta table per asset")

    def lake(self) -> Lake:
        return Lake(self.root)

    def sql(self) -> duckdb.DuckDBPyConnection:
        """A read-only DuckDB connection with a view per table (`raw_files`, `lineage`, ...)."""
        return connect(self.lake())
