"""A Ray cluster on this machine, for the tests, the overhead benchmark and trying the cluster path
without a cluster: `ray start --head --block` in a process group of its own, N CPUs, its session
files in a short temporary folder (Ray's sockets need short paths), on free ports. Stopped by
signalling that process group, so nothing else on the machine (another Ray included) is touched."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalRayCluster:
    """start() returns once the dashboard (jobs API) answers; stop() ends every process it started."""

    def __init__(self, cpus: int = 2):
        self.cpus = cpus
        self.folder = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))
        self.gcs_port = _free_port()
        self.dashboard_port = _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def dashboard(self) -> str:
        return f"http://127.0.0.1:{self.dashboard_port}"

    @property
    def gcs_address(self) -> str:
        return f"127.0.0.1:{self.gcs_port}"

    def start(self, timeout: float = 120.0) -> None:
        ray = Path(sys.executable).with_name("ray")
        env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
        self.log = open(self.folder / "ray-start.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(ray), "start", "--head", "--block", f"--num-cpus={self.cpus}", "--num-gpus=0", f"--temp-dir={self.folder}",
             "--node-ip-address=127.0.0.1", f"--port={self.gcs_port}", "--include-dashboard=true", "--dashboard-host=127.0.0.1",
             f"--dashboard-port={self.dashboard_port}", f"--dashboard-agent-listen-port={_free_port()}", f"--ray-client-server-port={_free_port()}",
             "--disable-usage-stats"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ray start exited {self.process.returncode}: {(self.folder / 'ray-start.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.dashboard}/api/version", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"Ray dashboard {self.dashboard} did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            pgid = os.getpgid(self.process.pid)
            self.process.send_signal(signal.SIGTERM)  # `ray start --block` tears its processes down on SIGTERM
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(pgid, signal.SIGKILL)  # whatever of that group is left
            except ProcessLookupError:
                pass
            self.process.wait(10)
        if hasattr(self, "log"):
            self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
