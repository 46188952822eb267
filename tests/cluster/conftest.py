"""Fixtures for the cluster tests: a real single-node Slurm cluster (marker `slurm`, run by `make test-slurm`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from lakefactory import small_lake  # noqa: E402,F401  (the training tests' small lake, a fixture)
from slurm_cluster import SingleNodeSlurm  # noqa: E402


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory):
    cluster = SingleNodeSlurm(tmp_path_factory.mktemp("slurm"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
