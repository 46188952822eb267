"""LLM sessions: bounded concurrency, the token budget, failures as values, the response cache in the lake."""

from __future__ import annotations

import threading
import time

from codelake.lake import Lake
from codelake.llm import CACHE_TABLE, ChatClient, ChatRequest, Completion, LLMFailure, LLMSession, ResponseCache, request_key


def _requests(n: int, params: dict | None = None) -> list[tuple[int, ChatRequest]]:
    return [(i, ChatRequest([{"role": "user", "content": f"problem number {i}"}], params or {}, prompt="test")) for i in range(n)]


def _session(settings, lake: Lake, **changes) -> LLMSession:
    settings = settings.replace(**changes)
    return LLMSession(settings, ResponseCache(lake, flush_every=3), ChatClient(settings, sleep=lambda s: None))


def test_answers_in_input_order_with_bounded_concurrency(server, settings, tmp_path):
    def slow_echo(messages):
        time.sleep(0.05)
        return "echo: " + messages[-1]["content"]

    server.responder = slow_echo
    session = _session(settings, Lake(tmp_path / "lake"), concurrency=3)
    answers = list(session.complete_many(_requests(12)))
    assert [i for i, _ in answers] == list(range(12))
    assert all(a.text == f"echo: problem number {i}" for i, a in answers)
    assert 2 <= server.max_in_flight <= 3  # never more than `concurrency`, and requests did overlap
    assert session.stats.sent == 12 and session.stats.cache_hits == 0


def test_rematerializing_pays_nothing_twice(server, settings, tmp_path):
    lake = Lake(tmp_path / "lake")
    first = _session(settings, lake)
    list(first.complete_many(_requests(5)))
    spent = first.stats.tokens_spent
    assert spent > 0 and lake.count(CACHE_TABLE) == 5
    # the same prompts again, plus two new ones: only the new ones reach the server
    second = _session(settings, lake)
    answers = dict(second.complete_many(_requests(7)))
    assert len(server.requests) == 7
    assert second.stats.cache_hits == 5 and second.stats.sent == 2
    assert all(answers[i].cached for i in range(5)) and not answers[5].cached
    assert answers[0].text == "echo: problem number 0"
    assert second.stats.tokens_spent < spent  # cache hits are free
    # a different parameter, model or message is a different request
    key = request_key("test-model", [{"role": "user", "content": "x"}], {"max_tokens": 64})
    assert key != request_key("test-model", [{"role": "user", "content": "x"}], {"max_tokens": 65})
    assert key != request_key("other-model", [{"role": "user", "content": "x"}], {"max_tokens": 64})


def test_failures_are_values_and_are_not_cached(server, settings, tmp_path):
    lake = Lake(tmp_path / "lake")
    server.script.extend(["400"])  # the first request fails for good; the others are answered
    session = _session(settings, lake, concurrency=1)
    answers = dict(session.complete_many(_requests(3)))
    assert isinstance(answers[0], LLMFailure) and answers[0].reason == "llm_error" and "HTTP 400" in answers[0].message
    assert isinstance(answers[1], Completion)
    assert session.stats.failures["llm_error"] == 1 and lake.count(CACHE_TABLE) == 2
    retry = _session(settings, lake)
    assert isinstance(dict(retry.complete_many(_requests(1)))[0], Completion) and retry.stats.sent == 1


def test_token_budget_is_never_exceeded(server, settings, tmp_path):
    # each request reserves its estimated prompt (4 tokens) + max_tokens 64 = 68 and spends 3 + 60 = 63
    server.responder = lambda messages: "word " * 60
    session = _session(settings, Lake(tmp_path / "lake"), token_budget=210, concurrency=1)
    answers = dict(session.complete_many(_requests(6)))
    sent = [i for i, a in answers.items() if isinstance(a, Completion)]
    refused = [a for a in answers.values() if isinstance(a, LLMFailure)]
    assert sent == [0, 1, 2] and len(server.requests) == session.stats.sent == 3  # 189 spent + 68 > 210
    assert [r.reason for r in refused] == ["budget_exhausted"] * 3 and "189 of 210 tokens spent" in refused[0].message
    assert session.stats.tokens_spent == 189


def test_budget_holds_with_requests_in_flight(server, settings, tmp_path):
    release = threading.Event()

    def held(messages):
        release.wait(5)
        return "ok " * 10

    server.responder = held
    session = _session(settings, Lake(tmp_path / "lake"), token_budget=2 * 70, concurrency=4)
    result: dict = {}
    thread = threading.Thread(target=lambda: result.update(session.complete_many(_requests(4))))
    thread.start()
    time.sleep(0.3)
    release.set()
    thread.join(10)
    # four at once would have been allowed by a check of spent tokens alone; reservations allow two
    assert server.max_in_flight == 2 and session.stats.failures["budget_exhausted"] == 2


def test_cache_is_one_delta_table_readable_by_key(server, settings, tmp_path):
    lake = Lake(tmp_path / "lake")
    list(_session(settings, lake).complete_many(_requests(4)))
    rows = lake.dataset(CACHE_TABLE).to_table().to_pylist()
    assert {r["prompt"] for r in rows} == {"test"} and len({r["key"] for r in rows}) == 4
    assert all(r["model"] == "test-model" and r["text"].startswith("echo:") for r in rows)
