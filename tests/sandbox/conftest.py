"""The sandbox under test: bubblewrap with tight limits (skipped, saying why, where bwrap is missing)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from limits_and_probes import TIGHT  # noqa: E402

from codelake.sandbox import Sandbox  # noqa: E402


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap not installed: run `make sandbox-deps`")
    return Sandbox(limits=TIGHT, isolation="bwrap")
