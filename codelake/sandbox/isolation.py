"""What the sandboxed program can see: the bubblewrap command line, and which interpreter runs it.

Every run gets new user, pid, ipc, uts, cgroup and mount namespaces; the network namespace is new too,
or, when a launcher starts bwrap (codelake/sandbox/launcher.py), the launcher's loopback-only one.
The new root is an empty read-only tmpfs holding only the system binds (read-only), the interpreter's
prefix (read-only, when it lies outside them), a fresh /dev, /proc of the new pid namespace, and four
size-capped tmpfs: the work dir (`/sandbox`, where the program's files are copied to), /tmp, the home
and /dev/shm. Nothing of the host is writable; paths to hide (the lake, $CODELAKE_HOME, the project, ~)
that fall inside a bind are covered by an empty tmpfs.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from codelake.sandbox.settings import SandboxLimits

SANDBOX_DIR = "/sandbox"
SANDBOX_HOME = "/home/sandbox"
FALLBACK_INTERPRETER = "/usr/bin/python3"


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run code safely here (no bwrap, no usable interpreter, a path it must hide is a bind)."""


@dataclass(frozen=True)
class Interpreter:
    path: str  # real path (no venv or pyenv shim: those need the project dir or a shell inside)
    prefix: str  # the installation directory to bind read-only


def _reachable_by(path: Path, uid: int | None) -> bool:
    """Can `uid` (None: this process) execute `path`, through every directory above it?"""
    if uid is None or uid == os.getuid():
        return os.access(path, os.X_OK)
    for part in [*reversed(path.parents), path]:
        try:
            mode = os.stat(part).st_mode
        except OSError:
            return False
        if part != path and not mode & stat.S_IXOTH:
            return False
    return bool(mode & stat.S_IXOTH and mode & stat.S_IROTH)


def resolve_interpreter(setting: str, run_as_uid: int | None) -> Interpreter:
    """`auto`: this process's interpreter when the sandbox user can reach it, else /usr/bin/python3."""
    if setting == "auto":
        candidates = [
            (os.path.realpath(sys.executable), os.path.realpath(sys.base_prefix)),
            (os.path.realpath(FALLBACK_INTERPRETER), None),
        ]
    else:
        candidates = [(os.path.realpath(setting), None)]
    for path, prefix in candidates:
        if os.path.isfile(path) and _reachable_by(Path(path), run_as_uid):
            return Interpreter(path, prefix or str(Path(path).parent.parent))
    tried = ", ".join(path for path, _ in candidates)
    who = f"uid {run_as_uid}" if run_as_uid is not None else "this user"
    raise SandboxUnavailable(
        f"no Python interpreter the sandbox ({who}) can run: tried {tried}; set `interpreter` in rules/sandbox.yaml"
    )


def _covers(outer: Path, inner: Path) -> bool:
    return inner == outer or outer in inner.parents


def bwrap_argv(
    bwrap: str,
    system_binds: tuple[str, ...],
    interpreter: Interpreter,
    hidden_paths: list[Path],
    limits: SandboxLimits,
    files: list[tuple[int, str]],
    dirs: list[str],
    keep_network: bool = False,
    info_fd: int | None = None,
) -> list[str]:
    """The bwrap command line up to (not including) the program's own argv.

    `files` are (fd, path relative to the work dir): bwrap copies each fd's content into the work dir;
    `dirs` are the work-dir subdirectories they need. `keep_network`: stay in the caller's network
    namespace (a launcher's own loopback-only one) instead of making one. `info_fd`: bwrap writes the
    host pid of the sandbox's pid 1 there (JSON)."""
    argv = [
        bwrap,
        "--unshare-all", "--unshare-user",  # user, pid, net, ipc, uts, cgroup namespaces
        *(["--share-net"] if keep_network else []),
        *(["--info-fd", str(info_fd)] if info_fd is not None else []),
        "--disable-userns",  # no nested user namespace: less kernel surface for the program
        "--die-with-parent",  # killing bwrap kills the pid namespace, and every process in it
        "--new-session",  # no TIOCSTI into a terminal the supervisor might have
        "--hostname", "sandbox",
    ]
    sources: list[Path] = []
    for bind in system_binds:
        if os.path.islink(bind):
            argv += ["--symlink", os.readlink(bind), bind]
        elif os.path.exists(bind):
            argv += ["--ro-bind", bind, bind]
            sources.append(Path(bind))
    prefix = Path(interpreter.prefix)
    if not any(_covers(source, prefix) for source in sources):
        argv += ["--ro-bind", str(prefix), str(prefix)]
        sources.append(prefix)
    for hidden in hidden_paths:
        hidden = Path(os.path.realpath(hidden))
        for source in sources:
            if hidden == source:
                raise SandboxUnavailable(f"{hidden} must stay invisible to sandboxed code but is a read-only bind")
            if _covers(source, hidden) and hidden.exists():
                argv += ["--tmpfs", str(hidden)]  # cover it: an empty directory where it was
    size = str(limits.disk_bytes)
    # --dev's own tmpfs has no size: made read-only (its device nodes stay usable); /dev/shm is capped
    argv += ["--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm", "--remount-ro", "/dev", "--proc", "/proc"]
    for writable in ("/tmp", SANDBOX_HOME, SANDBOX_DIR):
        argv += ["--size", size, "--perms", "0700", "--tmpfs", writable]
    for sub in dirs:
        argv += ["--dir", f"{SANDBOX_DIR}/{sub}"]
    for fd, name in files:
        argv += ["--file", str(fd), f"{SANDBOX_DIR}/{name}"]
    argv += [
        "--remount-ro", "/",  # the new root tmpfs itself: not a place to write gigabytes to
        "--chdir", SANDBOX_DIR,
        "--clearenv",
        "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin",
        "--setenv", "HOME", SANDBOX_HOME,
        "--setenv", "TMPDIR", "/tmp",
        "--setenv", "LANG", "C.UTF-8",
        "--",
    ]
    return argv
