"""Kubernetes manifests rendered offline from the launcher's settings: every field known to the
`kubernetes` client's models (a lossless round trip through V1Service / V1Job / V1PodTemplateSpec),
the multi-node rendezvous and GPU limits in place, and a snapshot of the whole rendering."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from kubernetes.client import ApiClient

from codelake.cluster.k8s import ray_cluster_manifest
from resources.k8s_launcher import KubernetesLauncher
from resources.launcher import TrainingJob

SNAPSHOT = Path(__file__).parent / "snapshots" / "k8s_manifests.yaml"
LAUNCHER = KubernetesLauncher(
    namespace="codelake", image="registry.example/codelake:0.1.0", shared_volume_claim="codelake-shared", shared_mount="/shared",
    nodes=2, gpus_per_node=8, cpu="64", memory="480Gi", node_selector={"gpu": "h100"},
    tolerations=[{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
)
JOB = TrainingJob("training.train", ("--config", "/shared/training/runs/pretrain_checkpoint/3f2a9c/config.yaml"), 16,
                  Path("/shared/training/runs/pretrain_checkpoint/3f2a9c/train.log"))
PIPES = {"DAGSTER_PIPES_CONTEXT": "eyJwYXRoIjogIi9zaGFyZWQvY29udGV4dC5qc29uIn0=", "DAGSTER_PIPES_MESSAGES": "eyJwYXRoIjogIi9zaGFyZWQvbS5qc29ubCJ9"}


def _round_trip(manifest: dict, model: str) -> dict:
    api = ApiClient()
    return api.sanitize_for_serialization(api._ApiClient__deserialize(manifest, model))


def _rendered() -> list[dict]:
    service, job = LAUNCHER.manifests(JOB, PIPES)
    return [service, job, ray_cluster_manifest(LAUNCHER.settings())]


def test_every_field_is_known_to_the_kubernetes_models():
    service, job, ray = _rendered()
    assert _round_trip(service, "V1Service") == service
    assert _round_trip(job, "V1Job") == job
    for template in [ray["spec"]["headGroupSpec"]["template"], *(g["template"] for g in ray["spec"]["workerGroupSpecs"])]:
        assert _round_trip(template, "V1PodTemplateSpec") == template  # KubeRay's pod templates are core pod templates


def test_a_two_node_job_meets_at_pod_zero_through_the_headless_service():
    service, job, _ = _rendered()
    name = job["metadata"]["name"]
    spec = job["spec"]
    assert (spec["completionMode"], spec["completions"], spec["parallelism"]) == ("Indexed", 2, 2)
    assert service["spec"]["clusterIP"] == "None" and spec["template"]["spec"]["subdomain"] == name == service["metadata"]["name"]
    container = spec["template"]["spec"]["containers"][0]
    script = container["command"][2]
    assert f"--rdzv_endpoint={name}-0.{name}:29500" in script and "--nnodes=2" in script and "--nproc_per_node=8" in script
    assert "tee -a /shared/training/runs/pretrain_checkpoint/3f2a9c/train.log" in script
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "8"
    assert {e["name"] for e in container["env"]} >= set(PIPES)  # Dagster Pipes reaches every rank


def test_a_run_folder_off_the_shared_volume_is_refused():
    job = TrainingJob("training.train", (), 2, Path("/home/me/.codelake/training/runs/x/y/train.log"))
    with pytest.raises(ValueError, match="not under shared_mount /shared"):
        LAUNCHER.manifests(job, PIPES)


def test_the_rendering_matches_its_snapshot():
    text = yaml.safe_dump_all(_rendered(), sort_keys=True)
    if os.environ.get("UPDATE_SNAPSHOTS") or not SNAPSHOT.exists():
        SNAPSHOT.write_text(text)
        pytest.skip(f"wrote {SNAPSHOT}: review it and commit it")
    assert text == SNAPSHOT.read_text(), f"the rendered manifests changed: review, then UPDATE_SNAPSHOTS=1 pytest {__file__}"
