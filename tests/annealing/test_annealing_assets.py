"""The annealing assets through Dagster: without an LLM endpoint the LLM parts are skipped and say what to
set; with one (a local server) code_textbooks materializes and a second materialization pays nothing."""

from __future__ import annotations

from dagster import DagsterInstance, materialize

from assets.annealing import algorithmic_corpus, annealing_mixture, code_textbooks, synthetic_snippets
from assets.code import code_corpus
from resources import LakeDuckDBResource, LakeResource, LLMResource, SandboxResource

ANNEALING = [algorithmic_corpus, synthetic_snippets, code_textbooks, annealing_mixture]


def _materialize(lake, llm: LLMResource, selection):
    resources = {
        "lake": LakeResource(root=str(lake.root)), "duckdb": LakeDuckDBResource(), "llm": llm,
        "sandbox": SandboxResource(wall_seconds=3, cpu_seconds=30),  # a loop ends by the wall clock: status timeout
    }
    result = materialize([code_corpus, *ANNEALING], selection=selection, resources=resources, instance=DagsterInstance.ephemeral())
    assert result.success
    metadata = {e.asset_key.to_user_string(): {k: v.value for k, v in e.materialization.metadata.items()} for e in result.get_asset_materialization_events()}
    checks = {(c.asset_key.to_user_string(), c.check_name): c.passed for c in result.get_asset_check_evaluations()}
    return metadata, checks


def test_without_an_endpoint_the_llm_parts_skip_and_say_what_to_set(lake, monkeypatch, sandbox):
    for name in ("CODELAKE_LLM_BASE_URL", "CODELAKE_LLM_MODEL", "CODELAKE_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    metadata, checks = _materialize(lake, LLMResource(), ANNEALING)
    textbooks = metadata["code_textbooks"]
    assert "SKIPPED" in textbooks["skipped"] and "CODELAKE_LLM_BASE_URL" in textbooks["skipped"] and not textbooks["table_written"]
    assert not lake.exists("code_textbooks")  # nothing made up
    snippets = metadata["synthetic_snippets"]
    assert "CODELAKE_LLM_MODEL" in snippets["llm_snippets"]
    assert snippets["snippets_ran"] == 5 and snippets["snippets_passed"] == 3 and snippets["snippets_timeout"] == 1
    assert metadata["algorithmic_corpus"]["rows_kept"] == 4
    mixture = metadata["annealing_mixture"]
    assert "code_textbooks" in mixture["mixture_notes"] and mixture["rows_kept"] > 0 and mixture["estimated_tokens"] > 0
    assert all(checks.values()) and len(checks) == 8


def test_with_an_endpoint_textbooks_are_written_once_and_cached(lake, server, sandbox):
    server.responder = lambda messages: "A passage about " + messages[-1]["content"][:80] + " " + " ".join(f"w{i}" for i in range(120))
    llm = LLMResource(base_url=server.base_url, model="m", concurrency=2, backoff_seconds=0.01)
    _materialize(lake, llm, [algorithmic_corpus])
    metadata, checks = _materialize(lake, llm, [code_textbooks])
    sent = len(server.requests)
    assert sent == metadata["code_textbooks"]["llm_sent"] > 24  # the shipped topics and the algorithmic seeds
    assert lake.count("code_textbooks") > 0 and all(checks.values())
    again, _ = _materialize(lake, llm, [code_textbooks])
    assert len(server.requests) == sent and again["code_textbooks"]["llm_cache_hits"] == sent
    assert again["code_textbooks"]["rows_kept"] == metadata["code_textbooks"]["rows_kept"]
