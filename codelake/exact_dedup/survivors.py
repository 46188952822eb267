"""The survivor rule shared by every dedup stage: an ORDER BY read from a rule file (rules/exact_dedup.yaml
for code; the web branch ranks pages by its own columns), and the window query that ranks the copies of
each content."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codelake.rules import RuleFileError, load_rule_file
from codelake.settings import RULES_DIR

SURVIVOR_RULES = RULES_DIR / "exact_dedup.yaml"
_RANKABLE = {"stars", "commit_time", "repo", "path", "dump", "doc_id", "size"}
_UNIQUE_KEYS = ({"repo", "path", "dump"}, {"doc_id"})


@dataclass(frozen=True)
class SurvivorOrder:
    keys: tuple[tuple[str, bool], ...]  # (column, descending)

    @classmethod
    def load(
        cls,
        path: str | Path = SURVIVOR_RULES,
        key: str = "survivor_order",
        rankable: set[str] = _RANKABLE,
        unique_keys: tuple[set[str], ...] = _UNIQUE_KEYS,
    ) -> "SurvivorOrder":
        """The order under `key` of the rule file; its columns must be in `rankable` and include one of
        `unique_keys` (the defaults are the code tables' columns)."""
        data = load_rule_file(path)
        entries = data.get(key)
        if not isinstance(entries, list) or not entries:
            raise RuleFileError(f"{path}: '{key}' must be a non-empty list")
        keys = []
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("column") not in rankable or not isinstance(entry.get("descending"), bool):
                raise RuleFileError(f"{path}: bad {key} entry {entry!r}: needs column in {sorted(rankable)} and descending: true/false")
            keys.append((entry["column"], entry["descending"]))
        columns = [k for k, _ in keys]
        # Without a unique key the survivor of a tie would depend on scan order.
        if not any(unique <= set(columns) for unique in unique_keys):
            named = " or ".join("(" + ", ".join(sorted(u)) + ")" for u in unique_keys)
            raise RuleFileError(f"{path}: {key} must end in a unique key {named}")
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


def rank_copies(con, source: str, order: SurvivorOrder, key: str = "sha256", repo: str = "repo", path: str = "path", table: str = "ranked") -> None:
    """Temp table `table`: every row of `source` (a table expression) with its `rank` among the rows of equal
    `key` (1: the survivor, by `order`), the survivor's `survivor_id`, `survivor_repo`, `survivor_path`
    (from the `repo` and `path` columns) and `survivor_dump`, and `copies`, the rows sharing the key."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table} AS
            SELECT *, row_number() OVER w AS rank,
                   first_value(doc_id) OVER w AS survivor_id,
                   first_value({repo}) OVER w AS survivor_repo,
                   first_value({path}) OVER w AS survivor_path,
                   first_value(dump) OVER w AS survivor_dump,
                   count(*) OVER (PARTITION BY {key}) AS copies
            FROM {source}
            WINDOW w AS (PARTITION BY {key} ORDER BY {order.sql()})"""
    )
