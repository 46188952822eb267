"""Fixtures for the compute tests: one real local Ray cluster per session (marker `ray`, `make test-ray`)."""

from __future__ import annotations

import pytest

from codelake.compute.local_ray import LocalRayCluster


@pytest.fixture(scope="session")
def ray_cluster():
    cluster = LocalRayCluster(cpus=2)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
