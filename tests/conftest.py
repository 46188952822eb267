"""Shared fixtures: an isolated HOME/DAGSTER_HOME per session, and small real dumps built on the fly."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True, scope="session")
def _isolated_home(tmp_path_factory):
    # Dagster and DuckDB write under HOME; keep the developer's home and the demo lake untouched.
    home = tmp_path_factory.mktemp("home")
    os.environ["HOME"] = str(home)
    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    os.environ["CODELAKE_HOME"] = str(home / "codelake")
    os.environ["DAGSTER_DISABLE_TELEMETRY"] = "1"
    (home / "dagster").mkdir()
    (home / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    yield
