"""The lake: one Delta table per stage, a lineage table, and read-only SQL over both."""

from codelake.lake.lineage import LINEAGE_SCHEMA, LineageSpool
from codelake.lake.tables import Lake

__all__ = ["Lake", "LINEAGE_SCHEMA", "LineageSpool"]
