"""Kernel state of one thread, for the sandbox's launcher threads: a network namespace of its own with
only loopback up, and the sandbox uid. Namespaces and credentials are per thread in the kernel; only
glibc's wrappers (setuid, setresuid, ...) make them process-wide, so the credentials change with raw
system calls here, and the rest of the process keeps root and the host network."""

from __future__ import annotations

import ctypes
import fcntl
import os
import platform
import socket
import struct

CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
IFREQ = "16sh22x"  # struct ifreq: the name, then the union's flags (40 bytes on 64-bit Linux)
# (setgroups, setresgid, setresuid) system call numbers
SYSCALLS = {"x86_64": (116, 119, 117), "aarch64": (159, 149, 147)}

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def supported() -> bool:
    """The raw credential calls are known for this machine's architecture."""
    return platform.machine() in SYSCALLS


def enter_loopback_only_network() -> None:
    """Move the calling thread into a new network namespace, owned by this process's (root's) user
    namespace, with loopback up (127.0.0.1, ::1) and nothing else. TIME_WAIT is off in it: a run's closed
    connections must not hold a port into the next run in this namespace (bind would fail EADDRINUSE)."""
    _check(_libc.unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:  # created in the new namespace
        flags = struct.unpack(IFREQ, fcntl.ioctl(probe, SIOCGIFFLAGS, struct.pack(IFREQ, b"lo", 0)))[1]
        fcntl.ioctl(probe, SIOCSIFFLAGS, struct.pack(IFREQ, b"lo", flags | IFF_UP))
    with open("/proc/sys/net/ipv4/tcp_max_tw_buckets", "w") as setting:  # /proc/sys/net: the calling thread's
        setting.write("0")


def drop_to_uid(uid: int) -> None:
    """Irrevocably make the calling thread `uid`/`uid` with no supplementary groups; with every uid
    non-zero the kernel clears its capabilities (ambient ones too), as setpriv's --reuid does."""
    setgroups, setresgid, setresuid = SYSCALLS[platform.machine()]
    _check(_libc.syscall(setgroups, 0, None), "setgroups")
    _check(_libc.syscall(setresgid, uid, uid, uid), "setresgid")
    _check(_libc.syscall(setresuid, uid, uid, uid), "setresuid")
