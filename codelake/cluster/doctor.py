"""`codelake doctor`: which deployment is active and whether each piece it needs answers, one line per
check with what to fix. Every check is bounded by a timeout; none changes anything but a probe file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from codelake.cluster.settings import ClusterConfigError, ClusterSettings
from codelake.lake.storage import with_environment
from codelake.settings import codelake_home, default_lake_root

TIMEOUT_S = 10


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _guard(name: str, probe: Callable[[], str]) -> Check:
    try:
        return Check(name, True, probe())
    except Exception as err:  # a doctor reports every failure as a line, never a traceback
        return Check(name, False, f"{type(err).__name__}: {err}" if not isinstance(err, RuntimeError) else str(err))


def writable_folder(path: Path) -> str:
    """The folder exists (or can be made) and a file can be written and removed in it."""
    path.mkdir(parents=True, exist_ok=True)
    probe = path / f".codelake-doctor-{uuid.uuid4().hex}"
    probe.write_text("ok")
    probe.unlink()
    return f"{path}: writable"


def object_store(uri: str, storage_options: dict[str, str]) -> str:
    """A probe object is written, read back and deleted under the lake's prefix."""
    from codelake.lake.storage import filesystem_for

    fs, prefix = filesystem_for(uri, storage_options)
    probe = f"{prefix}/.codelake-doctor-{uuid.uuid4().hex}"
    with fs.open_output_stream(probe) as out:
        out.write(b"ok")
    with fs.open_input_stream(probe) as back:
        if back.read() != b"ok":
            raise RuntimeError(f"{uri}: the probe object read back differs")
    fs.delete_file(probe)
    return f"{uri}: write, read and delete work"


def ray_dashboard(address: str) -> str:
    """The Ray jobs API answers (what dagster-ray's PipesRayJobClient submits to)."""
    url = address.rstrip("/") + "/api/version"
    headers = {}
    token = os.environ.get("RAY_AUTH_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=TIMEOUT_S) as answer:
            version = json.loads(answer.read()).get("ray_version", "?")
    except urllib.error.HTTPError as err:
        raise RuntimeError(f"{url}: HTTP {err.code} (token auth on? set RAY_AUTH_TOKEN)") from err
    except (urllib.error.URLError, OSError) as err:
        raise RuntimeError(f"{url}: unreachable ({getattr(err, 'reason', err)}): is the Ray head up, and its dashboard port open?") from err
    return f"{address}: Ray {version}"


def slurm_partition(partition: str | None) -> str:
    """slurmctld answers and the partition has nodes that can take jobs."""
    if shutil.which("sinfo") is None:
        raise RuntimeError("sinfo not found: install Slurm's client commands (and munge) on this host")
    command = ["sinfo", "-h", "-o", "%P %a %D %T"] + (["-p", partition] if partition else [])
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip() or 'failed'} (is slurmctld reachable and munged running?)")
    rows = [line.split() for line in done.stdout.splitlines() if line.strip()]
    if not rows:
        raise RuntimeError(f"partition {partition!r} not found" if partition else "no partitions")
    usable = [r for r in rows if r[1] == "up" and r[3].rstrip("*") in {"idle", "mixed", "allocated", "completing"}]
    summary = ", ".join(f"{r[0]} {r[1]} {r[2]} nodes {r[3]}" for r in rows)
    if not usable:
        raise RuntimeError(f"no node can take jobs: {summary}")
    return summary


def kubernetes_namespace(namespace: str) -> str:
    """The API server answers with this host's credentials and the namespace exists."""
    try:
        from kubernetes import client, config
    except ImportError as err:
        raise RuntimeError("the kubernetes client is not installed: pip install -e '.[cluster]'") from err
    try:
        config.load_incluster_config()
        where = "in-cluster"
    except config.ConfigException:
        config.load_kube_config()
        where = "kubeconfig"
    api = client.CoreV1Api()
    api.read_namespace(namespace, _request_timeout=TIMEOUT_S)
    return f"namespace {namespace} ({where} credentials)"


def torch_installed(python: str) -> str:
    done = subprocess.run([python, "-c", "import torch, nanotron; print(torch.__version__)"], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"{python}: cannot import torch and nanotron: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ''}")
    return f"{python}: torch {done.stdout.strip()}"


def run_checks(deployment: str) -> list[Check]:
    """Every check of `deployment`, in the order a user fixes them."""
    checks = [_guard("codelake home", lambda: writable_folder(codelake_home()))]
    if deployment == "local":
        checks.append(_guard("lake", lambda: writable_folder(default_lake_root())))
        import sys

        checks.append(_guard("launcher (local torchrun)", lambda: torch_installed(sys.executable)))
        return checks
    try:
        settings = ClusterSettings.load()
    except ClusterConfigError as err:
        return [*checks, Check("cluster settings", False, str(err))]
    checks.append(Check("cluster settings", True, str(settings.source)))
    if not os.environ.get("CODELAKE_HOME"):
        checks.append(Check("shared home", False, "set CODELAKE_HOME to a folder every compute node sees at the same path"))
    if "://" in settings.lake_root:
        checks.append(_guard("lake (object store)", lambda: object_store(settings.lake_root, with_environment(settings.storage_options))))
    else:
        checks.append(_guard("lake (shared path)", lambda: writable_folder(Path(settings.lake_root))))
    if settings.ray_address:
        checks.append(_guard("ray", lambda: ray_dashboard(settings.ray_address)))
    else:
        checks.append(Check("ray", True, "no ray.address: the data stages run in the Dagster process"))
    if settings.launcher == "slurm":
        checks.append(_guard("launcher (slurm)", lambda: slurm_partition(settings.slurm.get("partition"))))
    else:
        checks.append(_guard("launcher (kubernetes)", lambda: kubernetes_namespace(settings.kubernetes.get("namespace", "default"))))
    return checks
