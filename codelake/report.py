"""What a stage did, counted while it streamed: the numbers behind asset metadata and checks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class StageReport:
    stage: str
    rows_in: int = 0
    rows_kept: int = 0
    bytes_in: int = 0
    bytes_kept: int = 0
    drops_by_reason: Counter = field(default_factory=Counter)
    bytes_dropped_by_reason: Counter = field(default_factory=Counter)
    rows_by_language: Counter = field(default_factory=Counter)
    bytes_by_language: Counter = field(default_factory=Counter)
    version: int | None = None  # the stage table's Delta version
    lineage_version: int | None = None
    tables: dict[str, list[dict]] = field(default_factory=dict)  # stage-specific tables for the UI

    @property
    def rows_dropped(self) -> int:
        return sum(self.drops_by_reason.values())

    def kept(self, language: str, size: int) -> None:
        self.rows_in += 1
        self.rows_kept += 1
        self.bytes_in += size
        self.bytes_kept += size
        self.rows_by_language[language] += 1
        self.bytes_by_language[language] += size

    def kept_rows(self, rows) -> None:
        """Count every row of an Arrow batch or table (with `language` and `size` columns) as kept."""
        for language, size in zip(rows.column("language").to_pylist(), rows.column("size").to_pylist()):
            self.kept(language, size)

    def dropped(self, reason: str, size: int) -> None:
        self.rows_in += 1
        self.bytes_in += size
        self.drops_by_reason[reason] += 1
        self.bytes_dropped_by_reason[reason] += size

    def summary(self) -> str:
        reasons = ", ".join(f"{r}={n}" for r, n in self.drops_by_reason.most_common())
        text = (
            f"{self.stage}: {self.rows_in} in, {self.rows_kept} kept, {self.rows_dropped} dropped"
            f" ({reasons or 'none'}); table version {self.version}"
        )
        for increment in self.tables.get("increment", []):  # an incremental stage: what this run decided
            text += (f"; {increment['mode']}: {increment['files_decided']} files decided (dumps {increment['dumps_decided']}),"
                     f" {increment['files_withdrawn']} withdrawn")
        return text
