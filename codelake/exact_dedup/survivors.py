"""The survivor rule shared by every dedup stage: an ORDER BY read from rules/exact_dedup.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codelake.rules import RuleFileError, load_rule_file
from codelake.settings import RULES_DIR

SURVIVOR_RULES = RULES_DIR / "exact_dedup.yaml"
_RANKABLE = {"stars", "commit_time", "repo", "path", "dump", "doc_id", "size"}


@dataclass(frozen=True)
class SurvivorOrder:
    keys: tuple[tuple[str, bool], ...]  # (column, descending)

    @classmethod
    def load(cls, path: str | Path = SURVIVOR_RULES) -> "SurvivorOrder":
        data = load_rule_file(path)
        entries = data.get("survivor_order")
        if not isinstance(entries, list) or not entries:
            raise RuleFileError(f"{path}: 'survivor_order' must be a non-empty list")
        keys = []
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("column") not in _RANKABLE or not isinstance(entry.get("descending"), bool):
                raise RuleFileError(f"{path}: bad survivor_order entry {entry!r}: needs column in {sorted(_RANKABLE)} and descending: true/false")
            keys.append((entry["column"], entry["descending"]))
        columns = [k for k, _ in keys]
        # Without a unique key the survivor of a tie would depend on scan order.
        if not {"repo", "path", "dump"} <= set(columns) and "doc_id" not in columns:
            raise RuleFileError(f"{path}: survivor_order must end in a unique key (repo, path, dump, or doc_id)")
        return cls(tuple(keys))

    def sql(self) -> str:
        """The ORDER BY clause body, best first."""
        return ", ".join(f"{col} {'DESC' if desc else 'ASC'}" for col, desc in self.keys)

    def sort_key(self, row: dict):
        """A Python sort key equal to the SQL order (tests and small callers use it)."""

        class _Reverse:
            def __init__(self, value):
                self.value = value

            def __lt__(self, other):
                return self.value > other.value

            def __eq__(self, other):
                return self.value == other.value

        return tuple(_Reverse(row[col]) if desc else row[col] for col, desc in self.keys)
