"""The `cluster` deployment's settings: one YAML file named by $CODELAKE_CLUSTER_CONFIG (see
cluster.example.yaml beside this file). Secrets are never in it: object-store keys come from the
standard environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CONFIG_ENV = "CODELAKE_CLUSTER_CONFIG"
LAUNCHERS = ("slurm", "kubernetes")
_KEYS = {"lake_root", "storage_options", "ray", "launcher", "slurm", "kubernetes"}
_RAY_KEYS = {"address", "python", "auth_token"}


class ClusterConfigError(ValueError):
    pass


@dataclass(frozen=True)
class ClusterSettings:
    source: Path  # the YAML file, named in every error
    lake_root: str  # a shared path (/shared/codelake/lake) or an object-store URI (s3://bucket/codelake)
    launcher: str  # slurm | kubernetes: where training jobs go
    storage_options: dict[str, str] = field(default_factory=dict)  # non-secret delta-rs options (endpoint, region)
    ray_address: str | None = None  # the Ray dashboard / jobs API, e.g. http://ray-head:8265
    ray_python: str = "python"  # the interpreter with codelake installed, as the Ray head runs it
    ray_auth_token: bool = False  # the Ray cluster uses token auth (RAY_AUTH_MODE=token on the client)
    slurm: dict = field(default_factory=dict)  # SlurmLauncher's fields
    kubernetes: dict = field(default_factory=dict)  # KubernetesLauncher's fields

    @classmethod
    def load(cls, path: str | Path | None = None) -> ClusterSettings:
        source = Path(path or os.environ.get(CONFIG_ENV, ""))
        if not str(source) or str(source) == ".":
            raise ClusterConfigError(f"CODELAKE_DEPLOYMENT=cluster needs ${CONFIG_ENV}: the path of the cluster's YAML settings "
                                     "(codelake/cluster/cluster.example.yaml shows every field)")
        if not source.is_file():
            raise ClusterConfigError(f"{source}: no such file (named by ${CONFIG_ENV})")
        try:
            raw = yaml.safe_load(source.read_text()) or {}
        except yaml.YAMLError as err:
            raise ClusterConfigError(f"{source}: not valid YAML: {err}") from err
        if not isinstance(raw, dict):
            raise ClusterConfigError(f"{source}: expected a mapping of settings, got {type(raw).__name__}")
        unknown = set(raw) - _KEYS
        if unknown:
            raise ClusterConfigError(f"{source}: unknown settings {sorted(unknown)}; known: {sorted(_KEYS)}")
        if not raw.get("lake_root"):
            raise ClusterConfigError(f"{source}: lake_root is required (a shared path or s3://bucket/prefix)")
        launcher = raw.get("launcher", "slurm")
        if launcher not in LAUNCHERS:
            raise ClusterConfigError(f"{source}: launcher {launcher!r} is not one of {list(LAUNCHERS)}")
        options = raw.get("storage_options") or {}
        secrets = {k for k in options if "SECRET" in k.upper() or "TOKEN" in k.upper()}
        if secrets:
            raise ClusterConfigError(f"{source}: storage_options {sorted(secrets)} are secrets: set them in the environment, not in the file")
        ray = raw.get("ray") or {}
        unknown_ray = set(ray) - _RAY_KEYS
        if unknown_ray:
            raise ClusterConfigError(f"{source}: unknown ray settings {sorted(unknown_ray)}; known: {sorted(_RAY_KEYS)}")
        return cls(source, str(raw["lake_root"]), launcher, {str(k): str(v) for k, v in options.items()}, ray.get("address"),
                   str(ray.get("python", "python")), bool(ray.get("auth_token", False)),
                   dict(raw.get("slurm") or {}), dict(raw.get("kubernetes") or {}))
