from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field

from codelake.lake import Lake
from codelake.llm import LLMSession, LLMSettings, ResponseCache


class LLMResource(ConfigurableResource):
    """An OpenAI-compatible chat-completions endpoint for the LLM-backed annealing assets (synthetic
    snippets, code textbooks). Endpoint, model and key come from $CODELAKE_LLM_BASE_URL,
    $CODELAKE_LLM_MODEL and $CODELAKE_LLM_API_KEY unless set here. With no endpoint, those assets are
    skipped and say what to set; they never make anything up. Answers are cached in the lake table
    `llm_responses`, so a re-materialization pays only for new prompts."""

    base_url: str | None = Field(default=None, description="e.g. http://127.0.0.1:8000/v1; default $CODELAKE_LLM_BASE_URL")
    model: str | None = Field(default=None, description="default $CODELAKE_LLM_MODEL")
    api_key: str | None = Field(default=None, description="default $CODELAKE_LLM_API_KEY (sent as a Bearer token)")
    concurrency: int = Field(default=4, description="Requests in flight at once")
    timeout_seconds: float = Field(default=120.0, description="Per request")
    max_retries: int = Field(default=5, description="Retries on 429, 5xx, timeouts, broken answers (exponential backoff)")
    backoff_seconds: float = Field(default=1.0, description="First retry's wait, doubled each retry")
    token_budget: int = Field(default=2_000_000, description="Prompt + completion tokens one materialization may spend")
    max_tokens: int = Field(default=1024, description="Completion tokens per request unless the prompt template sets them")

    def settings(self) -> LLMSettings:
        return LLMSettings.from_env(
            base_url=self.base_url, model=self.model, api_key=self.api_key, concurrency=self.concurrency,
            timeout_seconds=self.timeout_seconds, max_retries=self.max_retries, backoff_seconds=self.backoff_seconds,
            token_budget=self.token_budget, max_tokens=self.max_tokens,
        )

    def session(self, lake: Lake) -> LLMSession | None:
        """A session caching in `lake`, or None when no endpoint is configured."""
        settings = self.settings()
        return LLMSession(settings, ResponseCache(lake)) if settings.configured else None
