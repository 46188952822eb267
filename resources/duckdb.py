from __future__ import annotations

from contextlib import contextmanager

import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field

from codelake.lake.sql import ConnectionFactory, DuckDBSettings, default_spill_directory, open_connection


class LakeDuckDBResource(DuckDBResource):
    """DuckDB, the SQL engine of every asset that runs SQL over the lake (dedup clustering, checks):
    each connection it hands out is in memory, has the Delta extension loaded from its wheel (no
    network) and these limits. The stages open their own connections through `connection_factory()`."""

    database: str = Field(default=":memory:", description="':memory:' (views over the lake are made per connection) or a DuckDB file")
    memory_limit: str = Field(default="2GB", description="DuckDB's memory_limit per connection; past it, joins and sorts spill to temp_directory")
    threads: int = Field(default=0, description="Threads per connection; 0: DuckDB's default (one per core)")
    temp_directory: str = Field(default_factory=default_spill_directory, description="Where DuckDB spills past memory_limit (never the lake)")

    def settings(self) -> DuckDBSettings:
        return DuckDBSettings(memory_limit=self.memory_limit, threads=self.threads, temp_directory=self.temp_directory)

    def open_connection(self) -> duckdb.DuckDBPyConnection:
        """A new connection with this resource's settings (and any extra `connection_config`); the caller closes it."""
        return open_connection(self.database, {"custom_user_agent": "dagster", **self.settings().config(), **self.connection_config})

    def connection_factory(self) -> ConnectionFactory:
        """What the engine (`codelake/`, which knows nothing of Dagster) takes to open its connections."""
        return self.open_connection

    @contextmanager
    def get_connection(self):
        con = self.open_connection()
        try:
            yield con
        finally:
            con.close()
