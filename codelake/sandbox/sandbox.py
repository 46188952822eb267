"""`Sandbox`: run untrusted Python (a program plus its files and tests) and get an `ExecutionResult`.

    sandbox = Sandbox()                                  # rules/sandbox.yaml: bwrap, default limits
    result = sandbox.run_python("assert 1 + 1 == 2")     # result.status == "passed"
    for context, result in sandbox.run_many(((i, PythonProgram(code)) for i, code in ...), workers=2): ...

With `isolation="bwrap"` and no working bubblewrap, construction (or the first run's self-check) raises
`SandboxUnavailable`: code never runs unsandboxed unless `isolation="none"` was chosen explicitly.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import TypeVar

from codelake.parallel import ordered_map
from codelake.sandbox.bootstrap import EXIT_FILE_SIZE, EXIT_MEMORY, bootstrap_argv
from codelake.sandbox.isolation import SANDBOX_DIR, SandboxUnavailable, bwrap_argv, resolve_interpreter
from codelake.sandbox.launcher import LauncherPool, launcher_pool, wait_for_exit
from codelake.sandbox.result import ExecutionResult
from codelake.sandbox.settings import ISOLATIONS, SandboxLimits, SandboxSettings, load_sandbox_settings
from codelake.sandbox.supervise import RawOutcome, supervise
from codelake.settings import PROJECT_ROOT, codelake_home

log = logging.getLogger(__name__)
C = TypeVar("C")
MAIN = "main.py"
# how long a finished run's pid namespace may take to die before its launcher is retired (SIGKILL is
# prompt; this is for a loaded machine), not reused
NAMESPACE_EXIT_SECONDS = 5.0


@dataclass(frozen=True)
class PythonProgram:
    """`code` runs as `main.py` in the work dir; `files` (relative path -> text) sit beside it."""

    code: str
    files: dict[str, str] | None = None
    stdin: str | None = None


def default_hidden_paths() -> list[Path]:
    return [codelake_home(), PROJECT_ROOT, Path.home()]


def _checked_names(files: dict[str, str]) -> list[str]:
    names = []
    for name in files:
        path = PurePosixPath(name)
        if path.is_absolute() or not path.parts or ".." in path.parts or name == MAIN or "\0" in name:
            raise ValueError(f"sandbox file name {name!r}: must be a relative path inside the work dir, not {MAIN}")
        names.append(str(path))
    return names


def _sandbox_init_pid(info_fd: int) -> int | None:
    """The host pid of the sandbox's pid 1, from what bwrap wrote to --info-fd (None: nothing written)."""
    os.set_blocking(info_fd, False)
    try:
        info = os.read(info_fd, 1 << 16)
    except BlockingIOError:
        return None
    match = re.search(rb'"child-pid": (\d+)', info)
    return int(match.group(1)) if match else None


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name.replace("/", "_"), 0)  # close-on-exec off: bwrap reads it after exec
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


class Sandbox:
    def __init__(
        self,
        limits: SandboxLimits | None = None,
        isolation: str | None = None,
        settings: SandboxSettings | None = None,
        hidden_paths: Iterable[str | Path] = (),
    ):
        settings = settings or load_sandbox_settings()
        self.settings = settings
        self.limits = limits or settings.limits
        self.isolation = isolation or settings.isolation
        if self.isolation not in ISOLATIONS:
            raise ValueError(f"isolation must be one of {ISOLATIONS}, got {self.isolation!r}")
        self.hidden_paths = [*default_hidden_paths(), *map(Path, hidden_paths)]
        # Root is exempt from RLIMIT_NPROC: the program runs as an unprivileged uid instead.
        self.run_as_uid = settings.run_as_uid if os.geteuid() == 0 else None
        self.interpreter = resolve_interpreter(settings.interpreter, self.run_as_uid)
        self.bwrap: str | None = None
        self.launchers: LauncherPool | None = None
        self._checked = False
        self._check_lock = threading.Lock()
        if self.isolation == "bwrap":
            configured = settings.bwrap_path
            found = configured if configured and os.access(configured, os.X_OK) else None if configured else shutil.which("bwrap")
            if not found:
                raise SandboxUnavailable(
                    f"bubblewrap not found ({configured or 'bwrap on PATH'}): install it (`apt-get install bubblewrap`, "
                    "or `make sandbox-deps`), or set `isolation: none` to run code WITHOUT isolation (rlimits only)"
                )
            self.bwrap = found
            if self.run_as_uid is not None:
                self.launchers = launcher_pool(self.run_as_uid)
        else:
            log.warning("sandbox isolation is 'none': untrusted code runs on this host with only rlimits and a timeout")

    def with_limits(self, **changes) -> Sandbox:
        """The same sandbox with some limits changed (e.g. a per-task timeout)."""
        other = object.__new__(Sandbox)
        other.__dict__.update(self.__dict__)
        other.limits = self.limits.replace(**changes)
        other._check_lock = threading.Lock()
        return other

    # -- one program -----------------------------------------------------------------------------------
    def run_python(self, code: str, files: dict[str, str] | None = None, stdin: str | None = None) -> ExecutionResult:
        if self.isolation == "bwrap":
            self._self_check()
        return self._run(PythonProgram(code, files, stdin))

    def run_many(self, items: Iterable[tuple[C, PythonProgram]], workers: int | None = None) -> Iterator[tuple[C, ExecutionResult]]:
        """(context, program) pairs in, (context, result) pairs out in input order, at most `workers`
        programs running at once (default: `in_flight` of the settings) and `workers + 1` read ahead."""
        if self.isolation == "bwrap":
            self._self_check()
        yield from ordered_map(self._run, items, workers=workers or self.settings.in_flight, threads=True)

    # -- internals -------------------------------------------------------------------------------------
    def _self_check(self) -> None:
        """Once: a trivial program must pass, else bwrap cannot build the sandbox here (say why, run nothing)."""
        with self._check_lock:
            if self._checked:
                return
            # its own generous wall clock: on a busy machine a tight per-program limit must not read as "no sandbox"
            probe = self.with_limits(wall_seconds=max(self.limits.wall_seconds, 60.0), cpu_seconds=max(self.limits.cpu_seconds, 10))
            result = probe._run(PythonProgram("import socket; assert [n for _, n in socket.if_nameindex()] == ['lo']"))
            if not result.passed:
                raise SandboxUnavailable(
                    f"bubblewrap ({self.bwrap}) cannot start the sandbox here: {result.summary()}: "
                    f"{(result.error or result.stderr).strip()[-800:]}"
                )
            self._checked = True

    def _run(self, program: PythonProgram) -> ExecutionResult:
        files = dict(program.files or {})
        names = _checked_names(files)
        stdin_fd = _memfd("stdin", program.stdin.encode()) if program.stdin is not None else None
        try:
            if self.isolation == "bwrap":
                raw = self._run_bwrap(program.code, files, names, stdin_fd)
            else:
                raw = self._run_unisolated(program.code, files, names, stdin_fd)
        finally:
            if stdin_fd is not None:
                os.close(stdin_fd)
        return self._result(raw)

    def _run_bwrap(self, code: str, files: dict[str, str], names: list[str], stdin_fd: int | None) -> RawOutcome:
        fds = [_memfd(MAIN, code.encode())] + [_memfd(name, files[name].encode()) for name in files]
        try:
            dirs = sorted({str(parent) for name in names for parent in PurePosixPath(name).parents if str(parent) != "."})
            command = partial(
                bwrap_argv, self.bwrap, self.settings.system_binds, self.interpreter, self.hidden_paths, self.limits,
                list(zip(fds, [MAIN, *names])), dirs,
            )
            program = bootstrap_argv(self.interpreter.path, self.limits, f"{SANDBOX_DIR}/{MAIN}")
            run = partial(
                supervise, wall_seconds=self.limits.wall_seconds, output_bytes=self.limits.output_bytes,
                kept_output_bytes=self.limits.kept_output_bytes, stdin_fd=stdin_fd,
            )
            if self.launchers is None:
                return run(command() + program, pass_fds=tuple(fds), run_as_uid=self.run_as_uid)
            return self._run_launched(command, program, run, tuple(fds))
        finally:
            for fd in fds:
                os.close(fd)

    def _run_launched(self, command, program: list[str], run, fds: tuple[int, ...]) -> RawOutcome:
        """Run from a launcher (its uid and network namespace); hand the launcher to the next run only
        once this run's pid namespace, and with it every process and socket of the run, is gone."""
        launcher = self.launchers.acquire()
        info_read, info_write = os.pipe()
        reusable = False
        try:
            try:
                raw = run(command(keep_network=True, info_fd=info_write) + program, pass_fds=(*fds, info_write), popen=launcher.popen)
            finally:
                os.close(info_write)
            reusable = wait_for_exit(_sandbox_init_pid(info_read), NAMESPACE_EXIT_SECONDS)
            return raw
        finally:
            os.close(info_read)
            (self.launchers.release if reusable else self.launchers.retire)(launcher)

    def _run_unisolated(self, code: str, files: dict[str, str], names: list[str], stdin_fd: int | None) -> RawOutcome:
        work = Path(tempfile.mkdtemp(prefix="codelake-sandbox-"))
        try:
            for name, text in [(MAIN, code), *((n, files[n]) for n in names)]:
                (work / name).parent.mkdir(parents=True, exist_ok=True)
                (work / name).write_text(text, encoding="utf-8")
            if self.run_as_uid is not None:
                for path in [work, *work.rglob("*")]:
                    os.chown(path, self.run_as_uid, self.run_as_uid)
            env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(work), "TMPDIR": str(work), "LANG": "C.UTF-8"}
            return supervise(
                bootstrap_argv(self.interpreter.path, self.limits, str(work / MAIN)),
                wall_seconds=self.limits.wall_seconds, output_bytes=self.limits.output_bytes,
                kept_output_bytes=self.limits.kept_output_bytes, stdin_fd=stdin_fd, cwd=str(work), env=env,
                run_as_uid=self.run_as_uid,
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _result(self, raw: RawOutcome) -> ExecutionResult:
        exit_code = signum = limit = None
        error = raw.start_error
        stderr_text = raw.stderr.text()
        if raw.wait_status is not None:
            code = os.waitstatus_to_exitcode(raw.wait_status)
            if code < 0:
                signum = -code
            elif self.isolation == "bwrap" and 128 < code <= 128 + 64:
                signum = code - 128  # bwrap reports a program killed by signal N as exit 128 + N
            else:
                exit_code = code
        if error is None and self.isolation == "bwrap" and exit_code == 1 and stderr_text.startswith("bwrap: "):
            error = stderr_text.splitlines()[0]  # bwrap could not build the sandbox: the program never ran
        if raw.timed_out:
            status, limit = "timeout", "wall"
        elif raw.output_flood:
            status, limit = "limit_exceeded", "output"
        elif error is not None:
            status = "crashed"
        elif signum == signal.SIGXCPU or signum == signal.SIGKILL and raw.seconds >= self.limits.cpu_seconds:
            # SIGXCPU at the soft limit; SIGKILL a second later for a program that ignores SIGXCPU (the
            # supervisor's own kills are timeouts or floods, decided above)
            status, limit = "limit_exceeded", "cpu"
        elif signum == signal.SIGXFSZ or exit_code == EXIT_FILE_SIZE:
            status, limit = "limit_exceeded", "file_size"
        elif exit_code == EXIT_MEMORY:
            status, limit = "limit_exceeded", "memory"
        elif signum is not None:
            status = "crashed"
        else:
            status = "passed" if exit_code == 0 else "failed"
        return ExecutionResult(
            status=status, exit_code=exit_code, signal=signum, limit=limit,
            stdout=raw.stdout.text(), stderr=stderr_text,
            stdout_bytes=raw.stdout.total, stderr_bytes=raw.stderr.total,
            truncated=raw.stdout.truncated or raw.stderr.truncated,
            seconds=round(raw.seconds, 4),
            # under bwrap the program is reaped inside its pid namespace: its CPU time does not reach us
            cpu_seconds=round(raw.cpu_seconds, 4) if self.isolation == "none" else None,
            isolation=self.isolation, error=error,
        )
