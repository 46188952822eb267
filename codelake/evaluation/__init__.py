"""Evaluation results in the lake: every HumanEval sample of every evaluated checkpoint, queryable in SQL."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from codelake.lake import Lake
from codelake.sandbox.humaneval import HumanEvalReport

EVALUATION_TABLE = "evaluation_samples"
# The stop sequences of the HumanEval paper's sampling: a new top-level statement ends the function.
HUMANEVAL_STOPS = ("\nclass", "\ndef", "\n#", "\nif", "\nprint")
EVALUATION_SCHEMA = pa.schema(
    [("run_id", pa.string()), ("evaluated_at", pa.timestamp("us", tz="UTC")), ("checkpoint", pa.string()), ("benchmark", pa.string()),
     ("task_id", pa.string()), ("completion", pa.large_string()), ("status", pa.string()), ("passed", pa.bool_()),
     ("exit_code", pa.int64()), ("seconds", pa.float64()), ("stderr_tail", pa.string())]
)


def write_evaluation_samples(lake: Lake, run_id: str, checkpoint: str, report: HumanEvalReport, completions: dict[str, list[str]]) -> int:
    """Append one row per executed sample (one commit); earlier evaluations stay in the table."""
    now = dt.datetime.now(dt.timezone.utc)
    rows = [
        {"run_id": run_id, "evaluated_at": now, "checkpoint": checkpoint, "benchmark": "humaneval", "task_id": s.task_id,
         "completion": completions[s.task_id][s.completion_id], "status": s.result.status, "passed": s.passed,
         "exit_code": s.result.exit_code, "seconds": s.result.seconds, "stderr_tail": (s.result.stderr or "")[-500:]}
        for s in report.samples
    ]
    return lake.write(EVALUATION_TABLE, [pa.RecordBatch.from_pylist(rows, schema=EVALUATION_SCHEMA)], EVALUATION_SCHEMA, append=True)


def samples_table(report: HumanEvalReport, completions: dict[str, list[str]], limit: int = 10) -> str:
    """A few samples for the UI: task, status, the completion's first line."""
    lines = ["| task | status | completion (first line) |", "|---|---|---|"]
    for s in report.samples[:limit]:
        first = (completions[s.task_id][s.completion_id].strip().splitlines() or [""])[0][:80].replace("|", "\\|")
        lines.append(f"| {s.task_id} | {s.result.status} | `{first}` |")
    return "\n".join(lines)
