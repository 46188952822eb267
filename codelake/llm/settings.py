"""Where the LLM endpoint is and how hard to push it: from the environment, overridable by the resource."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

ENV_BASE_URL = "CODELAKE_LLM_BASE_URL"
ENV_MODEL = "CODELAKE_LLM_MODEL"
ENV_API_KEY = "CODELAKE_LLM_API_KEY"


@dataclass(frozen=True)
class LLMSettings:
    """An OpenAI-compatible chat-completions endpoint (`base_url` ends before `/chat/completions`, e.g.
    `http://127.0.0.1:8000/v1`) and the client's limits."""

    base_url: str | None = None
    model: str | None = None
    api_key: str | None = None  # sent as a Bearer token when set; local servers usually need none
    concurrency: int = 4  # requests in flight at once
    timeout_seconds: float = 120.0  # per request (connect + the whole answer)
    max_retries: int = 5  # after the first try, on 429, 5xx, timeouts, dropped connections, unreadable answers
    backoff_seconds: float = 1.0  # first retry's wait; doubles each retry (with jitter), capped below
    max_backoff_seconds: float = 60.0
    token_budget: int = 2_000_000  # prompt + completion tokens one materialization may spend (cache hits are free)
    max_tokens: int = 1024  # completion tokens per request unless a prompt template says otherwise

    @classmethod
    def from_env(cls, **overrides) -> LLMSettings:
        """Endpoint, model and key from $CODELAKE_LLM_BASE_URL / _MODEL / _API_KEY; `overrides` (not None) win."""
        values = {
            "base_url": os.environ.get(ENV_BASE_URL) or None,
            "model": os.environ.get(ENV_MODEL) or None,
            "api_key": os.environ.get(ENV_API_KEY) or None,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def replace(self, **changes) -> LLMSettings:
        return dataclasses.replace(self, **changes)

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.model)

    def not_configured_message(self, what: str) -> str:
        """What to set so that `what` can run; said in the run log and the asset metadata when it is skipped."""
        missing = [name for name, value in ((ENV_BASE_URL, self.base_url), (ENV_MODEL, self.model)) if not value]
        return (
            f"{what} SKIPPED: no LLM endpoint configured ({', '.join(missing)} not set). Set {ENV_BASE_URL} to an "
            f"OpenAI-compatible server (e.g. http://127.0.0.1:8000/v1 for vLLM or llama.cpp's server) and {ENV_MODEL} "
            f"to its model name ({ENV_API_KEY} too if it needs a key), or the `llm` resource's base_url and model. "
            "Nothing was generated."
        )
