"""Fixtures for the compute tests: one real local Ray cluster per session (marker `ray`, `make test-ray`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ray_cluster import LocalRayCluster  # noqa: E402


@pytest.fixture(scope="session")
def ray_cluster():
    cluster = LocalRayCluster(cpus=2)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
