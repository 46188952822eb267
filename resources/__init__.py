"""Resources, grouped per deployment and chosen by $CODELAKE_DEPLOYMENT (default: local)."""

from __future__ import annotations

import os

from resources.duckdb import LakeDuckDBResource
from resources.lake import LakeResource
from resources.landing_zone import LandingZoneResource
from resources.launcher import LocalLauncher
from resources.llm import LLMResource
from resources.sandbox import SandboxResource
from resources.stage_runner import StageRunner

RESOURCES_BY_DEPLOYMENT = {
    # One machine: the lake and landing zone under $CODELAKE_HOME (or .codelake/ in the project).
    "local": lambda: {
        "lake": LakeResource(),
        "landing_zone": LandingZoneResource(),
        "sandbox": SandboxResource(),
        "llm": LLMResource(),  # endpoint from $CODELAKE_LLM_BASE_URL / _MODEL / _API_KEY; unset: LLM-backed assets skip
        "launcher": LocalLauncher(),
        "duckdb": LakeDuckDBResource(),
        "stage_runner": StageRunner(),  # the data stages run in this process
    },
    # Past one machine (CODELAKE_CLUSTER_CONFIG names the settings file): the lake on shared storage or an
    # object store, training jobs on Slurm or Kubernetes; everything else as on one machine.
    "cluster": lambda: _cluster_resources(),
}


def _cluster_resources() -> dict:
    from pydantic import ValidationError

    from codelake.cluster.settings import ClusterConfigError, ClusterSettings
    from resources.k8s_launcher import KubernetesLauncher
    from resources.slurm_launcher import SlurmLauncher

    settings = ClusterSettings.load()
    section = settings.launcher
    launcher_class, fields = (SlurmLauncher, settings.slurm) if section == "slurm" else (KubernetesLauncher, settings.kubernetes)
    unknown = set(fields) - set(launcher_class.model_fields)
    if unknown:  # a misspelt field would otherwise be ignored silently
        raise ClusterConfigError(f"{settings.source}: section {section}: unknown fields {sorted(unknown)}; known: {sorted(launcher_class.model_fields)}")
    try:
        launcher = launcher_class(**fields)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        raise ClusterConfigError(f"{settings.source}: section {section}: {problems}") from None
    return {
        **RESOURCES_BY_DEPLOYMENT["local"](),
        "lake": LakeResource(root=settings.lake_root, storage_options=settings.storage_options),
        "launcher": launcher,
        "stage_runner": StageRunner(ray_address=settings.ray_address, python=settings.ray_python, ray_auth_token=settings.ray_auth_token),
    }


def resources_for_deployment(name: str | None = None) -> dict:
    name = name or os.environ.get("CODELAKE_DEPLOYMENT", "local")
    if name not in RESOURCES_BY_DEPLOYMENT:
        raise ValueError(f"CODELAKE_DEPLOYMENT={name!r} is not one of {sorted(RESOURCES_BY_DEPLOYMENT)}")
    return RESOURCES_BY_DEPLOYMENT[name]()


__all__ = ["LakeDuckDBResource", "LakeResource", "LandingZoneResource", "LLMResource", "LocalLauncher", "SandboxResource", "StageRunner", "resources_for_deployment"]
