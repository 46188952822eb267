"""Deployments as resource sets: `cluster` from its settings file (lake on an object store or a shared
path, Slurm or Kubernetes launcher), the errors a wrong file gets, and `codelake doctor` reporting each
piece as reachable or not."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from codelake.cli.main import main
from codelake.cluster.settings import ClusterConfigError
from resources import resources_for_deployment
from resources.k8s_launcher import KubernetesLauncher
from resources.slurm_launcher import SlurmLauncher
from s3_server import S3Server


def _config(tmp_path, monkeypatch, text: str):
    path = tmp_path / "cluster.yaml"
    path.write_text(text)
    monkeypatch.setenv("CODELAKE_CLUSTER_CONFIG", str(path))
    monkeypatch.setenv("CODELAKE_DEPLOYMENT", "cluster")
    return path


def test_the_cluster_deployment_swaps_the_lake_and_the_launcher(tmp_path, monkeypatch):
    _config(tmp_path, monkeypatch, """
lake_root: s3://corp/codelake
storage_options: {AWS_ENDPOINT_URL: "http://127.0.0.1:9", AWS_REGION: eu-west-1}
launcher: slurm
slurm: {partition: gpu, nodes: 2, gpus_per_node: 8, setup: ["module load cuda"]}
""")
    resources = resources_for_deployment()
    assert resources["lake"].root == "s3://corp/codelake" and resources["lake"].storage_options["AWS_REGION"] == "eu-west-1"
    launcher = resources["launcher"]
    assert isinstance(launcher, SlurmLauncher) and (launcher.partition, launcher.nodes, launcher.gpus_per_node) == ("gpu", 2, 8)
    assert set(resources) == set(resources_for_deployment("local"))  # the same resource keys: the assets do not change


def test_the_data_stages_go_to_ray_only_when_the_cluster_names_one(tmp_path, monkeypatch):
    assert not resources_for_deployment("local")["stage_runner"].runs_on_ray("transformed")
    _config(tmp_path, monkeypatch, "lake_root: /shared/lake\n")
    assert not resources_for_deployment()["stage_runner"].runs_on_ray("transformed")
    _config(tmp_path, monkeypatch, "lake_root: /shared/lake\nray: {address: http://ray-head:8265, python: /envs/cl/bin/python, auth_token: true}\n")
    runner = resources_for_deployment()["stage_runner"]
    assert (runner.ray_address, runner.python, runner.ray_auth_token) == ("http://ray-head:8265", "/envs/cl/bin/python", True)
    assert [s for s in ("raw_files", "exact_dedup", "fuzzy_dedup", "transformed", "filter_signals", "filtered") if runner.runs_on_ray(s)] == [
        "raw_files", "fuzzy_dedup", "transformed", "filter_signals"]  # the SQL stages stay on the Dagster host


def test_kubernetes_as_the_launcher(tmp_path, monkeypatch):
    _config(tmp_path, monkeypatch, """
lake_root: /shared/codelake/lake
launcher: kubernetes
kubernetes: {namespace: ml, image: "reg/codelake:1", shared_volume_claim: shared, shared_mount: /shared, gpus_per_node: 4}
""")
    launcher = resources_for_deployment()["launcher"]
    assert isinstance(launcher, KubernetesLauncher) and launcher.gpus_per_node == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("launcher: slurm\n", "lake_root is required"),
        ("lake_root: /l\nlauncher: pbs\n", "launcher 'pbs' is not one of"),
        ("lake_root: /l\nslurm: {partiton: gpu}\n", "section slurm: unknown fields ['partiton']"),
        ("lake_root: /l\nslurm: {nodes: many}\n", "section slurm: nodes"),
        ("lake_root: s3://b/l\nstorage_options: {AWS_SECRET_ACCESS_KEY: x}\n", "are secrets: set them in the environment"),
        ("lake_root: /l\nrays: {}\n", "unknown settings ['rays']"),
        ("lake_root: /l\nray: {adress: http://h:8265}\n", "unknown ray settings ['adress']"),
    ],
)
def test_a_wrong_settings_file_is_named_with_its_problem(tmp_path, monkeypatch, text, message):
    path = _config(tmp_path, monkeypatch, text)
    with pytest.raises(ClusterConfigError) as err:
        resources_for_deployment()
    assert str(path) in str(err.value) and message in str(err.value)


def test_the_cluster_deployment_without_its_file_says_which_variable(monkeypatch):
    monkeypatch.setenv("CODELAKE_DEPLOYMENT", "cluster")
    monkeypatch.delenv("CODELAKE_CLUSTER_CONFIG", raising=False)
    with pytest.raises(ClusterConfigError, match=r"needs \$CODELAKE_CLUSTER_CONFIG"):
        resources_for_deployment()


class _RayDashboard(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        body = json.dumps({"ray_version": "2.60.0"}).encode() if self.path == "/api/version" else b"{}"
        self.send_response(200 if self.path == "/api/version" else 404)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_doctor_reports_each_piece(tmp_path, monkeypatch, capsys):
    s3 = S3Server(tmp_path / "s3.log")
    dashboard = HTTPServer(("127.0.0.1", 0), _RayDashboard)
    threading.Thread(target=dashboard.serve_forever, daemon=True).start()
    try:
        s3.start()
        s3.create_bucket("lake")
        options = s3.storage_options()
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            monkeypatch.setenv(key, options.pop(key))  # keys from the environment, as in production
        monkeypatch.setenv("CODELAKE_HOME", str(tmp_path / "home"))
        monkeypatch.setenv("SLURM_CONF", str(tmp_path / "no-such-slurm.conf"))
        _config(tmp_path, monkeypatch, f"""
lake_root: s3://lake/codelake
storage_options: {json.dumps(options)}
ray: {{address: "http://127.0.0.1:{dashboard.server_port}"}}
launcher: slurm
""")
        assert main(["doctor"]) == 1
        out = capsys.readouterr().out
        assert "deployment: cluster" in out
        assert "s3://lake/codelake: write, read and delete work" in out
        assert "Ray 2.60.0" in out
        assert "launcher (slurm)" in out and "FAILED" in out  # no slurmctld behind this SLURM_CONF
        assert "4 ok, 1 failed" in out  # home, settings, lake, ray

        dashboard.shutdown()
        dashboard.server_close()
        assert main(["doctor"]) == 1
        assert "unreachable" in capsys.readouterr().out  # the Ray head is gone: said so, not a traceback
    finally:
        dashboard.server_close()
        s3.stop()
