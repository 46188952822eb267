"""The network across runs: a run's network namespace holds nothing of the run before it, and runs at
once never share one. Where the sandbox has launchers (root), runs reuse a launcher's namespace."""

from __future__ import annotations

import pytest

from codelake.sandbox import PythonProgram

NET = "import os\nprint(os.readlink('/proc/self/ns/net'), flush=True)\n"


@pytest.fixture
def launched(sandbox):
    if sandbox.launchers is None:
        pytest.skip("no launchers here (not root): every run makes its own network namespace")
    return sandbox


def test_a_listener_left_running_is_gone_before_the_next_run(launched):
    leaves_a_listener = NET + """
import socket
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(8)
print(server.getsockname()[1], flush=True)
if os.fork() == 0:  # detached, its output pipes released: only the pid namespace still holds it
    os.setsid()
    devnull = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    while True:
        server.accept()[0].close()
os._exit(0)
"""
    first = launched.run_python(leaves_a_listener)
    assert first.passed, first
    net, port = first.stdout.split()
    second = launched.run_python(NET + f"""
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2)
    print("connected")
except OSError as error:
    print("refused", type(error).__name__)
""")
    assert second.passed, second
    second_net, outcome = second.stdout.split("\n", 1)
    assert second_net == net  # the same namespace: reused, and empty
    assert outcome.startswith("refused")


def test_a_port_the_last_run_closed_a_connection_on_is_free(launched):
    # the side that closes first keeps the port in TIME_WAIT (a minute, by default): bind would fail
    closes_first = NET + """
import socket
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(1)
port = server.getsockname()[1]
client = socket.create_connection(("127.0.0.1", port))
accepted, _ = server.accept()
accepted.close()
client.recv(1)
client.close()
server.close()
print(port)
"""
    first = launched.run_python(closes_first)
    assert first.passed, first
    net, port = first.stdout.split()
    second = launched.run_python(NET + f"import socket\nsocket.socket().bind(('127.0.0.1', {port}))\nprint('bound')\n")
    assert second.stdout.split() == [net, "bound"], second


def test_runs_at_once_have_network_namespaces_of_their_own(sandbox):
    program = PythonProgram(NET + "import time\ntime.sleep(0.5)\n")
    results = [result for _, result in sandbox.run_many(((i, program) for i in range(3)), workers=3)]
    assert all(result.passed for result in results), results
    assert len({result.stdout for result in results}) == 3
