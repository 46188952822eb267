"""A real S3-compatible HTTP server on 127.0.0.1 for the tests: moto's server mode (no MinIO server
binary ships in a registry package that installs here; moto's is an HTTP server that speaks the S3 API,
so delta-rs, Arrow and DuckDB talk to it over the network as they would to MinIO). Stopped by pid."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


class S3Server:
    def __init__(self, log: Path):
        self.log = log
        self.process: subprocess.Popen | None = None
        self.endpoint = ""

    def start(self, timeout: float = 30.0) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{port}"
        with self.log.open("w") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                            stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=2)
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the S3 server did not start on {self.endpoint}: see {self.log}") from None
                time.sleep(0.1)

    def create_bucket(self, name: str) -> None:
        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/{name}", method="PUT"), timeout=10)

    def storage_options(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": "codelake", "AWS_SECRET_ACCESS_KEY": "codelake-secret",
                "AWS_REGION": "us-east-1", "AWS_ALLOW_HTTP": "true"}

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
