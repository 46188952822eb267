"""The Kubernetes launcher: the same `launch(context, job) -> LaunchResult` as LocalLauncher, with the
job run as an indexed Kubernetes Job (one pod per node, torchrun's rendezvous at pod 0 through a
headless Service; manifests from codelake/cluster/k8s.py).

As with Slurm, Dagster Pipes goes through files in the run folder, so CODELAKE_HOME must be on the
shared volume, mounted at `shared_mount` here and on every pod. The launcher follows the Job's status
every `poll_seconds`, deletes the Job (and its pods) when the Dagster step is interrupted, and a Job
that fails fails the materialization with the log tail."""

from __future__ import annotations

import time

from dagster import AssetExecutionContext, Failure, MetadataValue, PipesFileContextInjector, PipesFileMessageReader, open_pipes_session
from pydantic import Field

from codelake.cluster.k8s import KubernetesSettings, job_name, training_manifests
from codelake.cluster.torchrun import processes_per_node
from resources.launcher import LaunchResult, Launcher, TrainingJob, log_tail


class KubernetesLauncher(Launcher):
    """Runs training jobs as indexed Kubernetes Jobs, GPUs as nvidia.com/gpu limits."""

    namespace: str = "default"
    image: str = Field(description="The codelake image (codelake, torch, nanotron installed)")
    shared_volume_claim: str = Field(description="A ReadWriteMany PersistentVolumeClaim holding CODELAKE_HOME")
    shared_mount: str = Field(description="Where that volume is mounted, on every pod and on the Dagster host")
    nodes: int = 1
    gpus_per_node: int = 0
    cpu: str | None = None
    memory: str | None = None
    service_account: str | None = None
    node_selector: dict[str, str] = Field(default_factory=dict)
    tolerations: list[dict] = Field(default_factory=list)
    python: str = Field(default="python", description="The image's interpreter")
    ray_workers: int = Field(default=2, description="Worker replicas of the rendered KubeRay RayCluster")
    poll_seconds: float = 5.0

    def settings(self) -> KubernetesSettings:
        return KubernetesSettings(
            namespace=self.namespace, image=self.image, shared_volume_claim=self.shared_volume_claim, shared_mount=self.shared_mount,
            nodes=self.nodes, gpus_per_node=self.gpus_per_node, cpu=self.cpu, memory=self.memory, service_account=self.service_account,
            node_selector=dict(self.node_selector), tolerations=tuple(self.tolerations), python=self.python, ray_workers=self.ray_workers,
        )

    def manifests(self, job: TrainingJob, env: dict[str, str]) -> list[dict]:
        per_node = processes_per_node(job.nproc, self.nodes, f"{job.module} on Kubernetes (launcher.nodes={self.nodes})")
        if not str(job.log_path).startswith(self.shared_mount.rstrip("/") + "/"):
            raise ValueError(f"{job.log_path}: the run folder is not under shared_mount {self.shared_mount}: set CODELAKE_HOME on the shared volume")
        name = job_name(job.log_path.parent.parent.name, job.log_path.parent.name)
        return training_manifests(self.settings(), name, job.module, job.args, per_node, str(job.log_path), {**job.env, **env})

    def launch(self, context: AssetExecutionContext, job: TrainingJob) -> LaunchResult:
        from kubernetes import client, config

        try:
            config.load_incluster_config()
        except config.ConfigException:
            config.load_kube_config()
        run_dir = job.log_path.parent
        run_dir.mkdir(parents=True, exist_ok=True)
        injector = PipesFileContextInjector(str(run_dir / "pipes_context.json"))
        reader = PipesFileMessageReader(str(run_dir / "pipes_messages.jsonl"))
        with open_pipes_session(context=context, context_injector=injector, message_reader=reader) as session:
            try:
                service, job_manifest = self.manifests(job, session.get_bootstrap_env_vars())
            except ValueError as err:
                raise Failure(str(err)) from err
            name = job_manifest["metadata"]["name"]
            core, batch = client.CoreV1Api(), client.BatchV1Api()
            core.create_namespaced_service(self.namespace, service)
            batch.create_namespaced_job(self.namespace, job_manifest)
            context.log.info(f"kubernetes job {self.namespace}/{name} (log: {job.log_path})")
            failed = self._follow(batch, core, name)
            results = session.get_results()
        command = f"kubectl -n {self.namespace} get job {name}"
        if failed:
            raise Failure(
                description=f"training job failed: kubernetes job {self.namespace}/{name}: {failed}\n"
                f"--- last lines of {job.log_path} ---\n{log_tail(job.log_path)}",
                metadata={"log": MetadataValue.path(str(job.log_path)), "kubernetes_job": name},
            )
        reported = {"kubernetes_job": name}
        for result in results:
            reported.update(result.metadata or {})
        return LaunchResult(reported, command)

    def _follow(self, batch, core, name: str) -> str | None:
        """Wait for the Job to finish; None when it succeeded, else why it failed. Deletes the Job and its
        Service when this step is interrupted."""
        try:
            while True:
                status = batch.read_namespaced_job_status(name, self.namespace).status
                if (status.succeeded or 0) >= self.nodes:
                    return None
                if status.failed:
                    reasons = [c.message or c.reason for c in (status.conditions or []) if c.type == "Failed"]
                    return "; ".join(r for r in reasons if r) or f"{status.failed} pod(s) failed"
                time.sleep(self.poll_seconds)
        except BaseException:
            batch.delete_namespaced_job(name, self.namespace, propagation_policy="Foreground")
            core.delete_namespaced_service(name, self.namespace)
            raise
