import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "llm"))
from annealing_corpus import write_code_corpus  # noqa: E402
from fake_openai import FakeOpenAI  # noqa: E402

from codelake.lake import Lake  # noqa: E402
from codelake.sandbox import Sandbox, SandboxLimits  # noqa: E402


@pytest.fixture
def lake(tmp_path) -> Lake:
    lake = Lake(tmp_path / "lake")
    write_code_corpus(lake)
    return lake


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap not installed: run `make sandbox-deps`")
    # wall below cpu: a loop always ends by the wall clock (status timeout), loaded machine or not
    return Sandbox(limits=SandboxLimits(wall_seconds=3, cpu_seconds=30, memory_bytes=512 << 20), isolation="bwrap")


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake
