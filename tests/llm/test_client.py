"""The chat client against a local OpenAI-compatible server: answers, retries, what is not retried."""

from __future__ import annotations

import pytest

from codelake.llm import ChatClient, LLMError, LLMSettings

MESSAGES = [{"role": "user", "content": "write a function"}]


def test_answer_usage_and_request_shape(server, settings):
    completion = ChatClient(settings).complete(MESSAGES, {"temperature": 0.2, "max_tokens": 64})
    assert completion.text == "echo: write a function"
    assert (completion.prompt_tokens, completion.completion_tokens) == (3, 4)
    assert completion.finish_reason == "stop" and not completion.cached
    body = server.requests[0]
    assert body == {"model": "test-model", "messages": MESSAGES, "temperature": 0.2, "max_tokens": 64}
    assert server.headers[0]["Authorization"] == "Bearer sk-test"


def test_no_key_sends_no_authorization(server, settings):
    ChatClient(settings.replace(api_key=None)).complete(MESSAGES, {})
    assert "Authorization" not in server.headers[0]


@pytest.mark.parametrize("failure", ["429", "500", "503", "malformed", "slow", "truncated"])
def test_transient_failures_are_retried(server, settings, failure):
    server.script.extend([failure, failure])
    sleeps = []
    client = ChatClient(settings, sleep=sleeps.append)
    completion = client.complete(MESSAGES, {})
    assert completion.text == "echo: write a function"
    assert len(server.requests) == 3 and client.retries == 2
    # exponential: the second wait's ceiling is twice the first's (jitter draws from [0.5, 1] of it)
    assert len(sleeps) == 2 and 0.005 <= sleeps[0] <= 0.01 and 0.01 <= sleeps[1] <= 0.02


def test_gives_up_after_max_retries_naming_the_endpoint(server, settings):
    server.default = "500"
    with pytest.raises(LLMError, match=r"/v1/chat/completions: gave up after 4 tries: HTTP 500"):
        ChatClient(settings, sleep=lambda s: None).complete(MESSAGES, {})
    assert len(server.requests) == 4


def test_client_errors_are_not_retried(server, settings):
    server.script.append("400")
    with pytest.raises(LLMError, match="HTTP 400 \\(not retried\\)"):
        ChatClient(settings, sleep=lambda s: None).complete(MESSAGES, {})
    assert len(server.requests) == 1


def test_missing_usage_is_estimated(server, settings):
    server.script.append("no_usage")
    completion = ChatClient(settings).complete([{"role": "user", "content": "x" * 400}], {})
    assert completion.prompt_tokens == 100 and completion.completion_tokens >= 1


def test_unreachable_endpoint_is_an_error_after_retries(settings):
    # a port nothing listens on, on this host's loopback
    dead = settings.replace(base_url="http://127.0.0.1:9/v1", max_retries=1)
    with pytest.raises(LLMError, match="connection failed"):
        ChatClient(dead, sleep=lambda s: None).complete(MESSAGES, {})


def test_not_configured_says_what_to_set():
    settings = LLMSettings()
    assert not settings.configured
    message = settings.not_configured_message("code_textbooks")
    assert "CODELAKE_LLM_BASE_URL" in message and "CODELAKE_LLM_MODEL" in message and "SKIPPED" in message
    with pytest.raises(LLMError, match="CODELAKE_LLM_BASE_URL"):
        ChatClient(settings)


def test_settings_from_environment(monkeypatch):
    monkeypatch.setenv("CODELAKE_LLM_BASE_URL", "http://127.0.0.1:8000/v1")
    monkeypatch.setenv("CODELAKE_LLM_MODEL", "m")
    monkeypatch.delenv("CODELAKE_LLM_API_KEY", raising=False)
    settings = LLMSettings.from_env(concurrency=3)
    assert settings.configured and settings.base_url.endswith("/v1") and settings.api_key is None and settings.concurrency == 3
    assert LLMSettings.from_env(model="other").model == "other"
