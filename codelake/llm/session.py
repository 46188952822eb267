"""An LLM session: the requests of one materialization, answered from the cache or the endpoint, at most
`concurrency` in flight, within a token budget.

The budget is reserved before a request is sent (its prompt's estimated tokens + its `max_tokens`) and
settled with the server's reported usage, so the requests in flight together can never spend more than
the budget; a request that does not fit is not sent (`budget_exhausted`). Cache hits cost nothing.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from codelake.llm.cache import ResponseCache, request_key
from codelake.llm.client import ChatClient, Completion, LLMError, estimated_tokens
from codelake.llm.settings import LLMSettings
from codelake.parallel import ordered_map

C = TypeVar("C")


@dataclass(frozen=True)
class ChatRequest:
    messages: list[dict]
    params: dict
    prompt: str = ""  # the template's name, kept with the cached answer


@dataclass(frozen=True)
class LLMFailure:
    reason: str  # llm_error | budget_exhausted
    message: str


@dataclass
class SessionStats:
    requests: int = 0
    cache_hits: int = 0
    sent: int = 0
    tokens_spent: int = 0
    failures: Counter = field(default_factory=Counter)
    retries: int = 0
    token_budget: int = 0

    def as_metadata(self) -> dict:
        return {
            "llm_requests": self.requests, "llm_cache_hits": self.cache_hits, "llm_sent": self.sent,
            "llm_tokens_spent": self.tokens_spent, "llm_token_budget": self.token_budget, "llm_retries": self.retries,
            **{f"llm_{reason}": n for reason, n in sorted(self.failures.items())},
        }


class LLMSession:
    def __init__(self, settings: LLMSettings, cache: ResponseCache, client: ChatClient | None = None):
        self.settings = settings
        self.client = client or ChatClient(settings)
        self.cache = cache
        self.stats = SessionStats(token_budget=settings.token_budget)
        self._lock = threading.Lock()
        self._reserved = 0

    def complete_many(self, items: Iterable[tuple[C, ChatRequest]]) -> Iterator[tuple[C, Completion | LLMFailure]]:
        """(context, request) in, (context, completion or failure) out, in input order."""
        items = list(items)
        params = [self._params(request) for _, request in items]
        keys = [request_key(self.settings.model, request.messages, p) for (_, request), p in zip(items, params)]
        cached = self.cache.lookup(keys)
        work = ((context, (request, p, key, cached.get(key))) for (context, request), p, key in zip(items, params, keys))
        try:
            for context, answer in ordered_map(self._answer, work, workers=self.settings.concurrency, threads=True):
                yield context, answer
        finally:
            self.cache.flush()
            self.stats.retries = self.client.retries

    def _params(self, request: ChatRequest) -> dict:
        return {"max_tokens": self.settings.max_tokens, **request.params}

    def _answer(self, job: tuple[ChatRequest, dict, str, Completion | None]) -> Completion | LLMFailure:
        request, params, key, hit = job
        with self._lock:
            self.stats.requests += 1
            if hit is not None:
                self.stats.cache_hits += 1
                return hit
            reserve = sum(estimated_tokens(m.get("content", "")) for m in request.messages) + int(params["max_tokens"])
            if self.stats.tokens_spent + self._reserved + reserve > self.settings.token_budget:
                self.stats.failures["budget_exhausted"] += 1
                return LLMFailure(
                    "budget_exhausted",
                    f"not sent: {self.stats.tokens_spent} of {self.settings.token_budget} tokens spent, "
                    f"{self._reserved} reserved in flight, this request may need {reserve}",
                )
            self._reserved += reserve
            self.stats.sent += 1
        try:
            completion = self.client.complete(request.messages, params)
        except LLMError as err:
            with self._lock:
                self._reserved -= reserve
                self.stats.failures["llm_error"] += 1
            return LLMFailure("llm_error", str(err))
        with self._lock:
            self._reserved -= reserve
            self.stats.tokens_spent += completion.tokens
        self.cache.add(key, request.prompt, request.messages, params, completion)
        return completion
