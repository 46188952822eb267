"""Resources, grouped per deployment and chosen by $CODELAKE_DEPLOYMENT (default: local)."""

from __future__ import annotations

import os

from resources.duckdb import LakeDuckDBResource
from resources.lake import LakeResource
from resources.landing_zone import LandingZoneResource
from resources.launcher import LocalLauncher
from resources.llm import LLMResource
from resources.sandbox import SandboxResource

RESOURCES_BY_DEPLOYMENT = {
    # One machine: the lake and landing zone under $CODELAKE_HOME (or .codelake/ in the project).
    "local": lambda: {
        "lake": LakeResource(),
        "landing_zone": LandingZoneResource(),
        "sandbox": SandboxResource(),
        "llm": LLMResource(),  # endpoint from $CODELAKE_LLM_BASE_URL / _MODEL / _API_KEY; unset: LLM-backed assets skip
        "launcher": LocalLauncher(),
        "duckdb": LakeDuckDBResource(),
    },
}


def resources_for_deployment(name: str | None = None) -> dict:
    name = name or os.environ.get("CODELAKE_DEPLOYMENT", "local")
    if name not in RESOURCES_BY_DEPLOYMENT:
        raise ValueError(f"CODELAKE_DEPLOYMENT={name!r} is not one of {sorted(RESOURCES_BY_DEPLOYMENT)}")
    return RESOURCES_BY_DEPLOYMENT[name]()


__all__ = ["LakeDuckDBResource", "LakeResource", "LandingZoneResource", "LLMResource", "LocalLauncher", "SandboxResource", "resources_for_deployment"]
