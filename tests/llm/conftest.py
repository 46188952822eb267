import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fake_openai import FakeOpenAI  # noqa: E402

from codelake.llm import LLMSettings  # noqa: E402


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def settings(server) -> LLMSettings:
    return LLMSettings(base_url=server.base_url, model="test-model", api_key="sk-test", concurrency=2, timeout_seconds=0.5,
                       max_retries=3, backoff_seconds=0.01, max_backoff_seconds=0.05, token_budget=100_000, max_tokens=64)
