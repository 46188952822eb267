"""An OpenAI-compatible chat client with bounded concurrency, retries, a token budget and a response cache
in the lake, and the prompt templates of rules/prompts/."""

from codelake.llm.cache import CACHE_TABLE, ResponseCache, request_key
from codelake.llm.client import ChatClient, Completion, LLMError
from codelake.llm.prompts import PROMPTS_DIR, PromptTemplate, load_prompt, prompts_fingerprint
from codelake.llm.session import ChatRequest, LLMFailure, LLMSession, SessionStats
from codelake.llm.settings import ENV_API_KEY, ENV_BASE_URL, ENV_MODEL, LLMSettings

__all__ = [
    "CACHE_TABLE", "ENV_API_KEY", "ENV_BASE_URL", "ENV_MODEL", "PROMPTS_DIR", "ChatClient", "ChatRequest", "Completion", "LLMError",
    "LLMFailure", "LLMSession", "LLMSettings", "PromptTemplate", "ResponseCache", "SessionStats", "load_prompt", "prompts_fingerprint",
    "request_key",
]
