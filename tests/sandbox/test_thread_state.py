"""codelake/sandbox/thread_state.py: one thread's network namespace and uid change, the process's do not."""

from __future__ import annotations

import os
import socket
import threading

import pytest

from codelake.sandbox.thread_state import drop_to_uid, enter_loopback_only_network, supported

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not supported(), reason="needs root on x86_64 or aarch64")


def _status(field: str) -> str:
    return next(line.split(":", 1)[1].strip() for line in open("/proc/thread-self/status") if line.startswith(field + ":"))


def test_one_thread_gets_loopback_only_network_and_the_sandbox_uid_the_process_keeps_its_own():
    host_net = os.readlink("/proc/thread-self/ns/net")
    seen = {}

    def in_thread():
        enter_loopback_only_network()
        seen["net"] = os.readlink("/proc/thread-self/ns/net")
        seen["interfaces"] = [name for _, name in socket.if_nameindex()]
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))  # loopback is up: binding and listening work
            server.listen(1)
        seen["time_wait"] = open("/proc/sys/net/ipv4/tcp_max_tw_buckets").read().strip()
        drop_to_uid(65534)
        seen["uid"] = (os.getuid(), os.geteuid(), os.getgid(), os.getegid(), os.getgroups())
        seen["caps"] = [_status(field) for field in ("CapPrm", "CapEff", "CapAmb")]
        try:
            drop_to_uid(0)
            seen["regained"] = True
        except PermissionError:
            seen["regained"] = False

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert seen["net"] != host_net
    assert seen["interfaces"] == ["lo"]
    assert seen["time_wait"] == "0"
    assert seen["uid"] == (65534, 65534, 65534, 65534, [])
    assert seen["caps"] == ["0000000000000000"] * 3
    assert seen["regained"] is False  # irrevocable
    # the rest of the process: root, the host's network namespace and its TIME_WAIT setting
    assert (os.getuid(), os.geteuid()) == (0, 0)
    assert os.readlink("/proc/thread-self/ns/net") == host_net
    assert open("/proc/sys/net/ipv4/tcp_max_tw_buckets").read().strip() != "0"
