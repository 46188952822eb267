"""A single-node Slurm cluster on this machine for the tests: munged (unless one already answers),
slurmctld and slurmd with their config, state and logs in a temporary folder, on free ports, no
accounting. `SLURM_CONF` points the client commands (sbatch, scontrol, scancel) at it. Everything this
starts is stopped by pid."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

MUNGE_PID = Path("/run/munge/munged.pid")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # a daemon reparented to a parent that never reaps stays a zombie


def _stop(pid: int, what: str, timeout: float = 20.0) -> None:
    if not _alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            return
        time.sleep(0.1)


def _munge_answers() -> bool:
    try:
        token = subprocess.run(["munge", "-n"], capture_output=True, timeout=10)
        return token.returncode == 0 and subprocess.run(["unmunge"], input=token.stdout, capture_output=True, timeout=10).returncode == 0
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False


class SingleNodeSlurm:
    def __init__(self, folder: Path):
        self.folder = folder
        self.conf = folder / "slurm.conf"
        self.pids: list[tuple[int, str]] = []  # what we started, stopped in reverse order

    def _write_config(self) -> None:
        node = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout.splitlines()[0]
        host = node.split()[0].split("=", 1)[1]
        cpus = next(w for w in node.split() if w.startswith("CPUs="))
        memory = int(next(w for w in node.split() if w.startswith("RealMemory=")).split("=")[1])
        for sub in ("state", "spool"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        self.conf.write_text(
            f"""ClusterName=codelaketest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
ReturnToService=2
MailProg=/bin/true
StateSaveLocation={self.folder}/state
SlurmdSpoolDir={self.folder}/spool
SlurmctldPidFile={self.folder}/slurmctld.pid
SlurmdPidFile={self.folder}/slurmd.pid
SlurmctldLogFile={self.folder}/slurmctld.log
SlurmdLogFile={self.folder}/slurmd.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
NodeName={host} NodeAddr=127.0.0.1 {cpus} RealMemory={max(memory - 1024, 1024)} State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""
        )

    def start(self) -> None:
        for tool in ("slurmctld", "slurmd", "sbatch", "munged"):
            if shutil.which(tool) is None:
                raise RuntimeError(f"{tool} is not installed: `make test-slurm` installs Debian's slurm-wlm and munge")
        self._write_config()
        os.environ["SLURM_CONF"] = str(self.conf)
        if not _munge_answers():
            subprocess.run(["install", "-d", "-o", "munge", "-g", "munge", "/run/munge"], check=True)
            subprocess.run(["runuser", "-u", "munge", "--", "munged", "--force"], check=True)
            self.pids.append((int(MUNGE_PID.read_text()), "munged"))
        for daemon in ("slurmctld", "slurmd"):
            subprocess.run([daemon, "-f", str(self.conf)], check=True)
            self.pids.append((self._pid(daemon), daemon))
        self._wait_idle()

    def _pid(self, daemon: str, timeout: float = 10.0) -> int:
        path = self.folder / f"{daemon}.pid"
        deadline = time.monotonic() + timeout
        while not path.exists() or not path.read_text().strip():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{daemon} wrote no pid file {path}; its log: {self.folder / (daemon + '.log')}")
            time.sleep(0.05)
        return int(path.read_text())

    def _wait_idle(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            state = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True).stdout.strip()
            if state == "idle":
                return
            time.sleep(0.2)
        raise RuntimeError(f"the test node is {state!r}, not idle, after {timeout}s: see {self.folder}/slurmctld.log and slurmd.log")

    def stop(self) -> None:
        jobs = subprocess.run(["squeue", "-h", "-o", "%i"], capture_output=True, text=True).stdout.split()
        if jobs:  # this cluster is the tests' own: every job on it is theirs
            subprocess.run(["scancel", *jobs], capture_output=True)
            deadline = time.monotonic() + 20
            while subprocess.run(["squeue", "-h", "-o", "%i"], capture_output=True, text=True).stdout.strip() and time.monotonic() < deadline:
                time.sleep(0.2)
        for pid, name in reversed(self.pids):
            _stop(pid, name)
        self.pids.clear()
        os.environ.pop("SLURM_CONF", None)
