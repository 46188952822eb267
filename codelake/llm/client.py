"""One chat completion over HTTP (urllib, no extra dependency), retried with exponential backoff.

Retried: 429 (honouring Retry-After), 408, 5xx, timeouts, refused or dropped connections, and answers that
are not the JSON of a chat completion (a proxy's error page, a truncated body). Not retried: other 4xx
(a wrong model name or key will not fix itself). After the last try, `LLMError` says what happened.
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from codelake.llm.settings import LLMSettings

RETRIED_STATUSES = frozenset({408, 409, 429}) | frozenset(range(500, 600))


class LLMError(RuntimeError):
    """A request failed for good (not retried, or every retry failed); the message names the endpoint."""


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None
    model: str
    cached: bool = False  # served from the lake's response cache: no request, no tokens spent

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def estimated_tokens(text: str) -> int:
    """~4 characters per token: used where the server reports no usage, and to reserve budget up front."""
    return max(1, len(text) // 4)


def parse_completion(body: bytes, model: str, prompt_chars: int) -> Completion:
    """The first choice of a chat-completions answer; `_Retryable` when it is not one."""
    try:
        data = json.loads(body)
        choice = data["choices"][0]
        text = choice["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as err:
        raise _Retryable(f"malformed answer ({type(err).__name__}: {err}): {body[:200]!r}") from err
    if not isinstance(text, str):
        raise _Retryable(f"malformed answer: message content is {type(text).__name__}, not text")
    usage = data.get("usage") or {}
    prompt = usage.get("prompt_tokens")
    completion = usage.get("completion_tokens")
    return Completion(
        text=text,
        prompt_tokens=int(prompt) if isinstance(prompt, int) else max(1, prompt_chars // 4),
        completion_tokens=int(completion) if isinstance(completion, int) else estimated_tokens(text),
        finish_reason=choice.get("finish_reason"),
        model=str(data.get("model") or model),
    )


class ChatClient:
    def __init__(self, settings: LLMSettings, sleep: Callable[[float], None] = time.sleep):
        if not settings.configured:
            raise LLMError(settings.not_configured_message("the LLM client"))
        self.settings = settings
        self.url = settings.base_url.rstrip("/") + "/chat/completions"
        self._sleep = sleep
        self.retries = 0  # retries made by this client (all threads)

    def complete(self, messages: list[dict], params: dict) -> Completion:
        body = json.dumps({"model": self.settings.model, "messages": messages, **params}).encode()
        prompt_chars = sum(len(m.get("content", "")) for m in messages)
        last = ""
        for attempt in range(self.settings.max_retries + 1):
            if attempt:
                self.retries += 1
            try:
                return parse_completion(self._post(body), self.settings.model, prompt_chars)
            except _Retryable as err:
                last = str(err)
                if attempt == self.settings.max_retries:
                    break
                self._sleep(self._backoff(attempt, err.retry_after))
        raise LLMError(f"{self.url}: gave up after {self.settings.max_retries + 1} tries: {last}")

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        wait = self.settings.backoff_seconds * (2**attempt) * random.uniform(0.5, 1.0)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return min(wait, self.settings.max_backoff_seconds)

    def _post(self, body: bytes) -> bytes:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.settings.api_key:
            headers["Authorization"] = f"Bearer {self.settings.api_key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout_seconds) as response:
                return response.read()
        except urllib.error.HTTPError as err:
            detail = err.read()[:300].decode("utf-8", "replace")
            if err.code in RETRIED_STATUSES:
                raise _Retryable(f"HTTP {err.code}: {detail}", _retry_after(err.headers.get("Retry-After"))) from err
            raise LLMError(f"{self.url}: HTTP {err.code} (not retried): {detail}") from err
        except (TimeoutError, socket.timeout) as err:
            raise _Retryable(f"no answer within {self.settings.timeout_seconds}s") from err
        except urllib.error.URLError as err:
            if isinstance(err.reason, (TimeoutError, socket.timeout)):
                raise _Retryable(f"no answer within {self.settings.timeout_seconds}s") from err
            raise _Retryable(f"connection failed: {err.reason}") from err
        except http.client.HTTPException as err:  # a truncated or garbled HTTP answer
            raise _Retryable(f"broken HTTP answer: {type(err).__name__}: {err}") from err
        except OSError as err:  # reset or closed mid-answer
            raise _Retryable(f"connection failed: {err}") from err


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: fall back to the exponential backoff
