"""Hostile programs: each is contained, leaves nothing running, and the next run is unaffected."""

from __future__ import annotations

import os
import select
import socket
import time
import uuid

import pytest
from limits_and_probes import TIGHT, host_processes_with

from codelake.sandbox import PythonProgram, Sandbox

SANITY = "import sys; print(sum(range(10))); sys.exit(0)"


def assert_next_run_unaffected(sandbox: Sandbox) -> None:
    result = sandbox.run_python(SANITY)
    assert result.status == "passed" and result.stdout == "45\n", result
    assert result.seconds < 3.0  # not slowed by anything the previous run left (a generous bound: shared machine)


def test_cpu_bound_infinite_loop_hits_the_cpu_limit(sandbox):
    # a generous wall clock: on a busy shared machine the loop gets less than one core
    result = sandbox.with_limits(cpu_seconds=1, wall_seconds=20).run_python("while True:\n    pass\n")
    assert (result.status, result.limit) == ("limit_exceeded", "cpu"), result
    assert result.signal_name == "SIGXCPU"
    assert 0.9 <= result.seconds < 20
    assert_next_run_unaffected(sandbox)


def test_sleeping_forever_hits_the_wall_clock(sandbox):
    result = sandbox.run_python("import time\ntime.sleep(3600)\n")
    assert (result.status, result.limit) == ("timeout", "wall")
    assert TIGHT.wall_seconds <= result.seconds < TIGHT.wall_seconds + 2
    assert_next_run_unaffected(sandbox)


def test_fork_bomb_is_capped_and_killed(sandbox):
    token = f"bomb-{uuid.uuid4().hex}"
    bomb = f"""
import os
while True:
    try:
        if os.fork() == 0:
            os.execv("/bin/sleep", ["{token}", "600"]) if os.getpid() % 2 else None
    except OSError:
        pass
"""
    result = sandbox.run_python(bomb)
    assert result.status in ("timeout", "limit_exceeded"), result
    assert host_processes_with(token) == []
    assert_next_run_unaffected(sandbox)


def test_process_limit_counts_this_sandbox_only(sandbox):
    # Children that stay alive: forking stops at the limit (threads and the interpreter count too).
    result = sandbox.run_python(
        "import os, time\nn = 0\n"
        "try:\n    for _ in range(500):\n        if os.fork() == 0:\n            time.sleep(1); os._exit(0)\n        n += 1\n"
        "except OSError as e:\n    print(n, e.errno)\n"
    )
    forked, errno = map(int, result.stdout.split())
    assert errno == 11 and 0 < forked < TIGHT.processes  # EAGAIN before the limit


def test_fork_bomb_does_not_starve_a_concurrent_run(sandbox):
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    spawns = "import subprocess\nassert subprocess.run(['/bin/true']).returncode == 0\n"
    items = [(0, PythonProgram(bomb))] + [(i, PythonProgram(spawns)) for i in range(1, 16)]
    results = dict(sandbox.run_many(items, workers=2))
    assert results[0].status in ("timeout", "limit_exceeded")
    assert all(results[i].passed for i in range(1, 16)), [results[i] for i in range(1, 16) if not results[i].passed]


def test_memory_hog_hits_the_address_space_limit(sandbox):
    result = sandbox.run_python("chunks = []\nwhile True:\n    chunks.append(bytearray(16 << 20))\n")
    assert (result.status, result.limit) == ("limit_exceeded", "memory")
    assert "MemoryError" in result.stderr
    assert_next_run_unaffected(sandbox)


@pytest.mark.parametrize("where", ["big.bin", "/tmp/big.bin", "/home/sandbox/big.bin"])
def test_one_gigabyte_file_write_is_stopped(sandbox, where):
    program = f"block = b'x' * (1 << 20)\nwith open({where!r}, 'wb') as f:\n    for _ in range(1024):\n        f.write(block)\n"
    result = sandbox.run_python(program)
    assert (result.status, result.limit) == ("limit_exceeded", "file_size"), result
    assert "File too large" in result.stderr


def test_many_files_fill_only_the_size_capped_work_dir(sandbox):
    # Each file under the file-size limit, together over the tmpfs size: the disk is full, the host is not.
    program = (
        "import errno\nblock = b'x' * (1 << 20)\n"
        "try:\n    for i in range(200):\n        open(f'part{i}', 'wb').write(block * 4)\n"
        "except OSError as e:\n    print(i, e.errno == errno.ENOSPC)\n"
    )
    result = sandbox.run_python(program)
    written, full = result.stdout.split()
    assert full == "True" and int(written) * 4 <= TIGHT.disk_bytes >> 20


@pytest.fixture(params=["launcher", "network_per_run"])
def started_either_way(sandbox, request):
    """The sandbox as it starts runs here (from a launcher, as root), and bwrap making every run's network."""
    if request.param == "launcher":
        if sandbox.launchers is None:
            pytest.skip("no launchers here (not root)")
        return sandbox
    per_run = sandbox.with_limits()
    per_run.launchers = None
    return per_run


def test_connect_to_a_host_listener_fails_and_only_loopback_exists(started_either_way):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        program = f"""
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2)
    print("connected")
except OSError as error:
    print("refused", type(error).__name__)
print([name for _, name in socket.if_nameindex()])
"""
        result = started_either_way.run_python(program)
        readable, _, _ = select.select([listener], [], [], 0.2)
    finally:
        listener.close()
    assert result.passed, result
    lines = result.stdout.splitlines()
    assert lines[0].startswith("refused")
    assert lines[1] == "['lo']"
    assert readable == []  # nothing ever reached the host's listener


def test_lake_project_and_home_are_invisible(sandbox, tmp_path):
    lake = sandbox.hidden_paths[0] / "lake"
    lake.mkdir(parents=True, exist_ok=True)
    (lake / "secret.txt").write_text("lake data")
    home_secret = sandbox.hidden_paths[2] / "secret.txt"
    home_secret.write_text("home data")
    project = sandbox.hidden_paths[1]
    paths = [str(lake / "secret.txt"), str(lake), str(home_secret), str(project), str(project / "rules"), os.environ["CODELAKE_HOME"]]
    program = f"""
import os
for path in {paths!r}:
    print(os.path.exists(path))
print(os.path.expanduser("~"), sorted(os.listdir(os.path.expanduser("~"))))
"""
    result = sandbox.run_python(program)
    assert result.passed, result
    *exists, home_line = result.stdout.splitlines()
    assert exists == ["False"] * len(paths)
    assert home_line == "/home/sandbox []"


def test_a_hidden_path_inside_a_system_bind_is_covered(tmp_path):
    # /usr/share/doc stands in for a lake that happens to live under a read-only bind.
    covered = Sandbox(limits=TIGHT, isolation="bwrap", hidden_paths=["/usr/share/doc"])
    result = covered.run_python("import os\nprint(len(os.listdir('/usr/share/doc')), os.path.exists('/usr/share'))")
    assert result.stdout.split() == ["0", "True"]
    assert os.listdir("/usr/share/doc")  # on the host it is not empty


def test_writing_outside_the_work_dir_fails(sandbox):
    program = """
import os
outside = ["/usr/lib/evil", "/etc/evil", "/evil", "/home/evil", "/bin/evil", "/proc/evil", "/dev/evil", "/sandbox/../evil"]
for path in outside:
    try:
        open(path, "w").write("x")
        print(path, "WRITTEN")
    except OSError as error:
        print(path, "refused", error.errno)
for path in ["/sandbox/ok", "/tmp/ok", os.path.expanduser("~/ok"), "/dev/shm/ok"]:
    open(path, "w").write("x")
    print(path, "ok")
"""
    result = sandbox.run_python(program)
    assert result.passed, result
    assert "WRITTEN" not in result.stdout
    assert result.stdout.count(" refused ") == 8 and result.stdout.count(" ok") == 4
    for path in ["/usr/lib/evil", "/etc/evil", "/evil", "/home/evil"]:
        assert not os.path.exists(path)


@pytest.mark.parametrize("parent", ["exits", "loops"])
def test_a_child_that_outlives_its_parent_is_killed(sandbox, parent):
    token = f"orphan-{uuid.uuid4().hex}"
    program = f"""
import os, sys
if os.fork() == 0:
    os.setsid()  # leaves the process group: only the pid namespace still holds it
    if os.fork() == 0:
        os.execv("/bin/sleep", ["{token}", "600"])
    os._exit(0)
os.wait()
print("parent done", flush=True)
{"while True: pass" if parent == "loops" else "sys.exit(0)"}
"""
    result = sandbox.run_python(program)
    assert result.status in (("passed",) if parent == "exits" else ("limit_exceeded", "timeout")), result
    time.sleep(0.2)
    assert host_processes_with(token) == []
    assert_next_run_unaffected(sandbox)


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_output_flood_is_truncated_and_stopped(sandbox, stream):
    result = sandbox.run_python(f"import sys\nwhile True:\n    sys.{stream}.write('spam' * 1000)\n")
    assert (result.status, result.limit) == ("limit_exceeded", "output")
    assert result.truncated
    text = getattr(result, stream)
    assert len(text) < TIGHT.kept_output_bytes + 100 and "bytes omitted" in text
    assert getattr(result, f"{stream}_bytes") > TIGHT.output_bytes
    assert result.seconds < TIGHT.wall_seconds
    assert_next_run_unaffected(sandbox)


def test_the_program_runs_unprivileged_and_cannot_raise_its_limits(sandbox):
    program = """
import os, resource
print(os.getuid() != 0)
try:
    resource.setrlimit(resource.RLIMIT_CPU, (100, 100))
    print("raised")
except ValueError:
    print("kept")
"""
    result = sandbox.run_python(program)
    assert result.stdout.split() == ["True", "kept"], result
