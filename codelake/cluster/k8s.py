"""Kubernetes manifests, rendered from the same settings as the launcher that submits them.

Training: an indexed batch/v1 Job (one pod per node, `completionMode: Indexed`) plus a headless Service,
so pod 0 is reachable as `<job>-0.<job>` and every pod's torchrun meets there (c10d rendezvous keyed
by the job name). GPUs are `nvidia.com/gpu` limits. The run folder (config, log, Dagster Pipes files),
shards and checkpoints live on a shared ReadWriteMany volume mounted at the same path as on the
Dagster host. Ray stages: a KubeRay RayCluster with the same image and volume."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from codelake.cluster.torchrun import torchrun_command

RENDEZVOUS_PORT = 29500


@dataclass(frozen=True)
class KubernetesSettings:
    namespace: str
    image: str
    shared_volume_claim: str  # a ReadWriteMany PersistentVolumeClaim
    shared_mount: str  # where it is mounted on every pod (and on the Dagster host)
    nodes: int = 1
    gpus_per_node: int = 0
    cpu: str | None = None  # per pod, e.g. "64"
    memory: str | None = None  # per pod, e.g. "480Gi"
    service_account: str | None = None
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: tuple[dict, ...] = ()
    python: str = "python"  # the image's interpreter
    ray_workers: int = 2  # RayCluster worker replicas


def job_name(stem: str, key: str) -> str:
    """A DNS-1035 label (<= 63 chars, lowercase, starts with a letter): the Job's, Service's and pods' name."""
    clean = re.sub(r"[^a-z0-9-]+", "-", f"{stem}-{key}".lower()).strip("-")
    return ("cl-" + clean)[:52].rstrip("-")  # room for the pod suffix (-<index>-<random>)


def _resources(settings: KubernetesSettings) -> dict:
    limits, requests = {}, {}
    if settings.cpu:
        requests["cpu"] = limits["cpu"] = settings.cpu
    if settings.memory:
        requests["memory"] = limits["memory"] = settings.memory
    if settings.gpus_per_node:
        limits["nvidia.com/gpu"] = str(settings.gpus_per_node)
    return {k: v for k, v in (("limits", limits), ("requests", requests)) if v}


def _pod_spec(settings: KubernetesSettings, container: dict) -> dict:
    spec = {
        "containers": [{**container, "image": settings.image, "resources": _resources(settings),
                        "volumeMounts": [{"name": "shared", "mountPath": settings.shared_mount}]}],
        "volumes": [{"name": "shared", "persistentVolumeClaim": {"claimName": settings.shared_volume_claim}}],
    }
    if settings.service_account:
        spec["serviceAccountName"] = settings.service_account
    if settings.node_selector:
        spec["nodeSelector"] = dict(settings.node_selector)
    if settings.tolerations:
        spec["tolerations"] = [dict(t) for t in settings.tolerations]
    return spec


def training_manifests(
    settings: KubernetesSettings, name: str, module: str, args: tuple[str, ...], nproc_per_node: int, log_path: str, env: dict[str, str]
) -> list[dict]:
    """[headless Service, indexed Job] for one training job; every pod appends its output to `log_path`."""
    labels = {"app.kubernetes.io/name": "codelake", "codelake/job": name}
    command = torchrun_command(settings.python, module, args, nproc_per_node, nnodes=settings.nodes,
                               rdzv_endpoint=f"{name}-0.{name}:{RENDEZVOUS_PORT}", rdzv_id=name)
    # the log on the shared volume is what a failure reports; pipefail keeps torchrun's exit status
    script = f"set -o pipefail; {shlex.join(command)} 2>&1 | tee -a {shlex.quote(log_path)}"
    container = {
        "name": "train",
        "command": ["bash", "-c", script],
        "env": [{"name": k, "value": v} for k, v in sorted({"OMP_NUM_THREADS": "1", **env}.items())],
        "ports": [{"containerPort": RENDEZVOUS_PORT, "name": "rendezvous"}],
    }
    pod = _pod_spec(settings, container)
    pod.update({"restartPolicy": "Never", "subdomain": name})
    service = {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": settings.namespace, "labels": dict(labels)},
        "spec": {"clusterIP": "None", "selector": dict(labels), "publishNotReadyAddresses": True,
                 "ports": [{"name": "rendezvous", "port": RENDEZVOUS_PORT}]},
    }
    job = {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name, "namespace": settings.namespace, "labels": dict(labels)},
        "spec": {
            "completionMode": "Indexed", "completions": settings.nodes, "parallelism": settings.nodes,
            "backoffLimit": 0,  # a failed rank fails the job: torchrun's group cannot go on without it
            "ttlSecondsAfterFinished": 86400,
            "template": {"metadata": {"labels": dict(labels)}, "spec": pod},
        },
    }
    return [service, job]


def ray_cluster_manifest(settings: KubernetesSettings, name: str = "codelake-ray") -> dict:
    """A KubeRay RayCluster (ray.io/v1) for the data stages: head plus `ray_workers` workers, the
    codelake image and the shared volume on each; its dashboard (port 8265) is the `ray.address`."""
    def group(kind: str) -> dict:
        container = {"name": f"ray-{kind}", "ports": [{"containerPort": 8265, "name": "dashboard"}] if kind == "head" else []}
        spec = _pod_spec(KubernetesSettings(**{**settings.__dict__, "gpus_per_node": 0}), container)
        return {"metadata": {"labels": {"app.kubernetes.io/name": "codelake", "codelake/ray": kind}}, "spec": spec}

    return {
        "apiVersion": "ray.io/v1", "kind": "RayCluster",
        "metadata": {"name": name, "namespace": settings.namespace},
        "spec": {
            "headGroupSpec": {"rayStartParams": {"dashboard-host": "0.0.0.0"}, "template": group("head")},
            "workerGroupSpecs": [{"groupName": "workers", "replicas": settings.ray_workers, "minReplicas": settings.ray_workers,
                                  "maxReplicas": settings.ray_workers, "rayStartParams": {}, "template": group("worker")}],
        },
    }
