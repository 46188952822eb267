"""The real `dagster dev` (what `make ui` runs): a landed dump reaches code_corpus with no click.

`dagster dev` (webserver + daemon + code server) is started in its own process group over a temp
$DAGSTER_HOME and $CODELAKE_HOME, with the sensors' interval cut to a few seconds. A first dump lands and
code_corpus must come to hold its files; then a burst of two dumps lands at once and code_corpus must
hold theirs too, the whole-lake stages having run once for the burst, in one run. On a timeout the test
fails with the tail of the daemon's log.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest
from dagster import AssetKey, AssetRecordsFilter, DagsterEventType, DagsterInstance, DagsterRunStatus

from codelake.lake import Lake
from codelake.lake.sql import connect
from dumpfactory import MANIFEST, manifest, write_dir_dump

ROOT = Path(__file__).resolve().parents[2]
WHOLE_LAKE = {"exact_dedup", "fuzzy_dedup", "transformed", "filter_signals", "filtered", "code_corpus"}
SENSOR_INTERVAL_S = 5
# About 2.5 minutes in all on 2 idle cores; the bounds leave room for a machine shared with other work.
STARTUP_TIMEOUT_S = 180
LANDING_TIMEOUT_S = 420  # one landing: sensor tick, raw_files run(s), automation tick, one run of six small stages
STOP_TIMEOUT_S = 20

# Real source files (the interpreter's standard library), so the RefineCode filters keep them.
STDLIB = Path(sysconfig.get_paths()["stdlib"])
FIRST = ("textwrap.py", "shlex.py", "bisect.py")
BURST = {"dump-2": ("fnmatch.py", "glob.py", "colorsys.py"), "dump-3": ("heapq.py", "keyword.py", "stat.py")}


def _repo(owner: str, modules: tuple[str, ...]) -> dict[str, dict[str, bytes]]:
    files = {f"lib/{name}": (STDLIB / name).read_bytes() for name in modules}
    return {f"{owner}__stdlib": {MANIFEST: manifest(f"{owner}/stdlib", stars=5), **files}}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM the whole group (dagster dev, its webserver, daemon, code server and run workers), then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while time.monotonic() < deadline and _group_alive(proc.pid):
            time.sleep(0.2)
            proc.poll()
        if not _group_alive(proc.pid):
            break
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _tail(path: Path, chars: int = 6000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "<no log>"


class DagsterDev:
    """A running `dagster dev` over temp homes; `wait_for` polls a predicate and fails with the log tail."""

    def __init__(self, base: Path):
        self.dagster_home = base / "dagster"
        self.codelake_home = base / "codelake"
        self.landing = self.codelake_home / "landing" / "code"
        self.log = base / "dagster-dev.log"
        self.dagster_home.mkdir(parents=True)
        self.landing.mkdir(parents=True)
        (self.dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        self.lake = Lake(self.codelake_home / "lake")
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DAGSTER_HOME": str(self.dagster_home),
            "CODELAKE_HOME": str(self.codelake_home),
            "CODELAKE_SENSOR_INTERVAL_SECONDS": str(SENSOR_INTERVAL_S),
            "DAGSTER_DISABLE_TELEMETRY": "1",
            "PYTHONUNBUFFERED": "1",
        }
        dagster = Path(sys.executable).parent / "dagster"
        command = [str(dagster), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(_free_port())]
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def stop(self) -> None:
        if self.proc is not None:
            _stop_group(self.proc)

    def wait_for(self, what: str, predicate, timeout: float) -> float:
        started = time.monotonic()
        while not predicate():
            if self.proc.poll() is not None:
                pytest.fail(f"dagster dev exited with rc {self.proc.returncode} while waiting for {what}:\n{_tail(self.log)}")
            if time.monotonic() - started > timeout:
                pytest.fail(f"{what}: not within {timeout}s\n{self.runs_summary()}\n--- dagster dev log tail ---\n{_tail(self.log)}")
            time.sleep(2)
        return time.monotonic() - started

    def corpus_files(self, dump: str) -> int:
        if not (self.lake.root / "code_corpus" / "_delta_log").is_dir():
            return 0
        con = connect(self.lake, memory_limit="256MB")
        try:
            return con.execute("SELECT count(*) FROM code_corpus WHERE dump = ?", [dump]).fetchone()[0]
        finally:
            con.close()

    def run_records(self) -> list:
        """Oldest first; a record has the run and its create/end times."""
        with DagsterInstance.from_config(str(self.dagster_home)) as instance:
            return list(reversed(instance.get_run_records()))

    def last_ingested(self, *dumps: str) -> float:
        """When the last of these dumps' raw_files materialization was recorded (its Delta commit came before)."""
        with DagsterInstance.from_config(str(self.dagster_home)) as instance:
            found = instance.fetch_materializations(AssetRecordsFilter(asset_key=AssetKey("raw_files"), asset_partitions=list(dumps)), limit=100)
        assert {r.partition_key for r in found.records} == set(dumps), f"raw_files materializations: {found.records}"
        return max(r.timestamp for r in found.records)

    def runs(self) -> list:
        return [record.dagster_run for record in self.run_records()]

    def runs_summary(self) -> str:
        """Every run, oldest first, with the errors of the failed ones."""
        try:
            lines = []
            with DagsterInstance.from_config(str(self.dagster_home)) as instance:
                for r in reversed(instance.get_runs()):
                    stages = sorted(k.to_user_string() for k in r.asset_selection or ())
                    lines.append(f"  {r.run_id[:8]} {r.status.value:10} {stages} {r.tags.get('dagster/partition', '')}")
                    if r.status == DagsterRunStatus.FAILURE:
                        lines += [f"    {line}" for line in _failures(instance, r.run_id)]
            return "runs:\n" + "\n".join(lines)
        except Exception as error:  # the summary is a diagnostic: never hide the real failure behind it
            return f"runs: <unreadable: {error}>"


def _failures(instance: DagsterInstance, run_id: str) -> list[str]:
    failed = (DagsterEventType.STEP_FAILURE, DagsterEventType.RUN_FAILURE)
    lines = []
    for entry in instance.all_logs(run_id, of_type=set(failed)):
        event = entry.dagster_event
        error = getattr(event.event_specific_data, "error", None)
        lines.append(f"{event.event_type_value} {event.step_key or ''}: {event.message or ''}")
        if error is not None:
            lines += error.to_string().splitlines()[-25:]
    return lines


@pytest.fixture
def dagster_dev(tmp_path):
    dev = DagsterDev(tmp_path)
    try:
        yield dev
    finally:
        dev.stop()
        leftover = _group_alive(dev.proc.pid) if dev.proc else False
        assert not leftover, f"processes of dagster dev's group {dev.proc.pid} survived SIGKILL"


def _whole_lake_runs(runs) -> list:
    return [r for r in runs if r.asset_selection and {k.to_user_string() for k in r.asset_selection} & WHOLE_LAKE]


def test_landed_dumps_reach_code_corpus_through_the_running_daemon(dagster_dev):
    # The first dump is in the landing zone before the daemon starts, as after `make demo`-like copying.
    write_dir_dump(dagster_dev.landing / "dump-1", _repo("first", FIRST))
    dagster_dev.start()
    first_s = dagster_dev.wait_for("code_corpus holding dump-1's files", lambda: dagster_dev.corpus_files("dump-1") > 0, STARTUP_TIMEOUT_S + LANDING_TIMEOUT_S)
    dagster_dev.wait_for("the first whole-lake run to finish", lambda: all(r.is_finished for r in dagster_dev.runs()), 60)
    before = _whole_lake_runs(dagster_dev.runs())
    assert len(before) == 1 and {k.to_user_string() for k in before[0].asset_selection} == WHOLE_LAKE, dagster_dev.runs_summary()

    # A burst: two complete dumps appear together (their _SUCCESS markers written back to back).
    for name, modules in BURST.items():
        write_dir_dump(dagster_dev.landing / name, _repo(name.replace("-", ""), modules), complete=False)
    for name in BURST:
        (dagster_dev.landing / name / "_SUCCESS").write_bytes(b"")
    burst_s = dagster_dev.wait_for(
        "code_corpus holding the burst's files", lambda: all(dagster_dev.corpus_files(d) > 0 for d in BURST), LANDING_TIMEOUT_S
    )
    dagster_dev.wait_for("every run to finish", lambda: all(r.is_finished for r in dagster_dev.runs()), 60)
    time.sleep(2 * SENSOR_INTERVAL_S)  # a redundant request would come on the next automation ticks

    runs = dagster_dev.runs()
    assert all(r.status == DagsterRunStatus.SUCCESS for r in runs), dagster_dev.runs_summary()
    raw = sorted(r.tags["dagster/partition"] for r in runs if "dagster/partition" in r.tags)  # code_dump_sensor's raw_files runs
    assert raw == ["dump-1", "dump-2", "dump-3"], dagster_dev.runs_summary()
    whole_lake = _whole_lake_runs(runs)
    assert len(whole_lake) == 2, f"one whole-lake run per landing, not per dump\n{dagster_dev.runs_summary()}"
    assert {k.to_user_string() for k in whole_lake[1].asset_selection} == WHOLE_LAKE, dagster_dev.runs_summary()
    requested_at = {r.dagster_run.run_id: r.create_timestamp.timestamp() for r in dagster_dev.run_records()}[whole_lake[1].run_id]
    assert requested_at >= dagster_dev.last_ingested(*BURST), f"requested before the burst was ingested\n{dagster_dev.runs_summary()}"
    print(f"dump-1 in code_corpus {first_s:.0f}s after `dagster dev` started; the burst {burst_s:.0f}s after landing")
