"""What one sandboxed run produced: a status a verifier can trust, and bounded output."""

from __future__ import annotations

import signal as signals
from dataclasses import asdict, dataclass
from typing import Literal

Status = Literal["passed", "failed", "timeout", "limit_exceeded", "crashed"]
STATUSES: tuple[Status, ...] = ("passed", "failed", "timeout", "limit_exceeded", "crashed")


@dataclass(frozen=True)
class ExecutionResult:
    """`passed` only when the program exited 0 within every limit; everything else says why not.

    `limit` names the limit hit (wall, cpu, memory, file_size, output) for `timeout`/`limit_exceeded`;
    `error` holds the sandbox's own failure (for `crashed` runs that never started)."""

    status: Status
    exit_code: int | None
    signal: int | None
    limit: str | None
    stdout: str
    stderr: str
    stdout_bytes: int
    stderr_bytes: int
    truncated: bool
    seconds: float
    cpu_seconds: float | None  # None under bwrap (the program is reaped inside its pid namespace)
    isolation: str
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def signal_name(self) -> str | None:
        if self.signal is None:
            return None
        try:
            return signals.Signals(self.signal).name
        except ValueError:
            return f"signal {self.signal}"

    def to_dict(self) -> dict:
        """Plain values for lineage and metadata."""
        return asdict(self)

    def summary(self) -> str:
        why = self.limit or self.signal_name or (f"exit {self.exit_code}" if self.exit_code else "")
        return f"{self.status}{f' ({why})' if why else ''} in {self.seconds:.2f}s"
