"""synthetic_snippets: every candidate executed in the real sandbox, only passing ones kept, every other
outcome in the lineage; the LLM part against a local OpenAI-compatible server."""

from __future__ import annotations

import json

from codelake.checks import conservation, duplicate_doc_ids
from codelake.lake import Lake
from codelake.llm import LLMSession, LLMSettings, ResponseCache
from codelake.algorithmic_corpus import run_algorithmic_corpus
from codelake.sandbox import PythonProgram
from codelake.synthetic_snippets import run_synthetic_snippets
from codelake.synthetic_snippets.mine import DOCTEST_RUNNER, unit_test_runner


def _lineage(lake: Lake) -> dict[tuple[str, str], list[dict]]:
    out: dict = {}
    for r in lake.dataset("lineage").to_table().to_pylist():
        if r["stage"] == "synthetic_snippets":
            out.setdefault((r["repo"], r["reason"]), []).append(r)
    return out


def test_mined_snippets_kept_only_when_they_pass(lake, sandbox):
    run = run_synthetic_snippets(lake, sandbox, llm_skipped="no endpoint (test)")
    rows = lake.dataset("synthetic_snippets").to_table().to_pylist()
    kept = sorted((r["repo"], r["name"]) for r in rows)
    assert kept == [("lib/math", "gcd"), ("lib/mixed", "hypot2"), ("lib/mixed", "most_common")]
    assert all(r["status"] == "passed" and r["origin"] == "mined" and r["sandbox_isolation"] == "bwrap" for r in rows)
    lineage = _lineage(lake)
    failed = lineage[("lib/mixed", "failed")][0]
    detail = json.loads(failed["detail"])
    assert detail["exit_code"] == 1 and "Expected" in detail["stdout_tail"] and "5" in detail["stdout_tail"]
    timeout = json.loads(lineage[("lib/mixed", "timeout")][0]["detail"])
    assert timeout["limit"] == "wall"
    assert {r["path"] for r in lineage[("lib/mixed", "not_self_contained")]} == {"doctests.py"}
    assert len(lineage[("lib/mixed", "non_stdlib_import")]) == 1
    # the copy of the file has the same functions: each duplicate is recorded, not run again
    duplicates = lineage[("lib/mixed-copy", "duplicate_snippet")]
    assert len(duplicates) == 4 and all(json.loads(d["detail"])["same_as"] for d in duplicates)
    summary = run.execution_summary()
    assert summary == {"ran": 5, "passed": 3, "failed": 1, "timeout": 1, "limit_exceeded": 0, "crashed": 0}
    assert run.llm_note == "no endpoint (test)"
    assert conservation(lake, "synthetic_snippets", run.report.version, run.report.rows_in).holds
    assert duplicate_doc_ids(lake, "synthetic_snippets", run.report.version) == 0
    # what is labelled passed passes again when run from the stored text alone
    for row in rows:
        runner = DOCTEST_RUNNER if "test_" not in row["text"] else unit_test_runner(["test_gcd"])
        assert sandbox.run_python(row["text"] + runner).passed


GOOD = """```python
def running_max(values):
    \"\"\"Prefix maxima of a list.\"\"\"
    out, best = [], None
    for v in values:
        best = v if best is None or v > best else best
        out.append(best)
    return out


def test_running_max():
    assert running_max([]) == []
    assert running_max([1, 3, 2]) == [1, 3, 3]
    assert running_max([5, 4]) == [5, 5]
```"""
WRONG = GOOD.replace("[1, 3, 3]", "[1, 3, 2]")
LOOPS = "```python\ndef f():\n    while True:\n        pass\n\ndef test_f():\n    f()\n    assert 1\n    assert 1\n    assert 1\n```"


def test_llm_snippets_from_algorithmic_seeds(lake, sandbox, server, tmp_path):
    run_algorithmic_corpus(lake)  # 4 seeds
    answers = iter([GOOD, WRONG, LOOPS, "I cannot help with that."])
    server.responder = lambda messages: next(answers)
    settings = LLMSettings(base_url=server.base_url, model="m", concurrency=1, backoff_seconds=0.01, max_retries=1)
    session = LLMSession(settings, ResponseCache(lake))
    run = run_synthetic_snippets(lake, sandbox, session=session)
    llm_rows = [r for r in lake.dataset("synthetic_snippets").to_table().to_pylist() if r["origin"] == "llm"]
    assert [(r["name"], r["model"], r["dump"], r["tests"]) for r in llm_rows] == [("running_max", "m", "synthetic", 3)]
    seed_ids = {r["doc_id"] for r in lake.dataset("algorithmic_corpus").to_table(columns=["doc_id"]).to_pylist()}
    assert llm_rows[0]["source_doc_id"] in seed_ids
    prompt = server.requests[0]["messages"][-1]["content"]
    assert "```" in prompt and "test_<name>()" in prompt  # the template of rules/prompts/synthetic_snippet.yaml
    by_origin = {row["origin"]: row for row in run.report.tables["executions"]}
    assert by_origin["llm"]["candidates"] == 4 and by_origin["llm"]["passed"] == 1
    assert by_origin["llm"]["failed"] == 1 and by_origin["llm"]["timeout"] == 1
    reasons = [r["reason"] for r in lake.dataset("lineage").to_table().to_pylist() if r["dump"] == "synthetic"]
    assert sorted(reasons) == ["failed", "no_code_block", "timeout"]
    assert run.llm_stats["llm_sent"] == 4
    assert conservation(lake, "synthetic_snippets", run.report.version, run.report.rows_in).holds
    # materialized again: every answer comes from the cache, the same rows result
    again = run_synthetic_snippets(lake, sandbox, session=LLMSession(settings, ResponseCache(lake)))
    assert len(server.requests) == 4 and again.llm_stats["llm_cache_hits"] == 4
    assert again.report.rows_kept == run.report.rows_kept


def test_program_runner_fails_when_no_example_ran(sandbox):
    # a module whose doctests find nothing to attempt must not pass
    assert not sandbox.run_python("def f():\n    return 1\n" + DOCTEST_RUNNER).passed
    assert sandbox.run_python(PythonProgram("x = 1").code).passed
