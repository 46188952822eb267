"""The sandbox's settings and resource limits, read from `rules/sandbox.yaml` and overridable."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codelake.rules import RuleFileError, load_rule_file, require
from codelake.settings import RULES_DIR

SANDBOX_RULES = RULES_DIR / "sandbox.yaml"
ISOLATIONS = ("bwrap", "none")


@dataclass(frozen=True)
class SandboxLimits:
    wall_seconds: float = 10.0
    cpu_seconds: int = 5
    memory_bytes: int = 1 << 30
    processes: int = 64
    open_files: int = 64
    file_size_bytes: int = 16 << 20
    disk_bytes: int = 64 << 20
    output_bytes: int = 1 << 20
    kept_output_bytes: int = 16 << 10

    def replace(self, **changes: Any) -> SandboxLimits:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class SandboxSettings:
    isolation: str = "bwrap"
    bwrap_path: str | None = None
    interpreter: str = "auto"
    run_as_uid: int = 65534
    in_flight: int = 8
    system_binds: tuple[str, ...] = ()
    limits: SandboxLimits = field(default_factory=SandboxLimits)

    def replace(self, **changes: Any) -> SandboxSettings:
        return dataclasses.replace(self, **changes)


def load_sandbox_settings(path: str | Path | None = None) -> SandboxSettings:
    """Settings from `path` (default `rules/sandbox.yaml`); errors name the file and the key."""
    source = Path(path) if path else SANDBOX_RULES
    data = load_rule_file(source)
    isolation = require(data, "isolation", str, source)
    if isolation not in ISOLATIONS:
        raise RuleFileError(f"{source}: 'isolation' must be one of {ISOLATIONS}, got {isolation!r}")
    bwrap_path = data.get("bwrap_path")
    if bwrap_path is not None and not isinstance(bwrap_path, str):
        raise RuleFileError(f"{source}: 'bwrap_path' must be a path or null, got {bwrap_path!r}")
    binds = require(data, "system_binds", list, source)
    if not all(isinstance(b, str) and b.startswith("/") for b in binds):
        raise RuleFileError(f"{source}: 'system_binds' must be a list of absolute paths, got {binds!r}")
    in_flight = require(data, "in_flight", int, source)
    if in_flight < 1:
        raise RuleFileError(f"{source}: 'in_flight' must be at least 1, got {in_flight!r}")
    limits_data = require(data, "limits", dict, source)
    limits = {}
    for spec in dataclasses.fields(SandboxLimits):
        kind = (int, float) if spec.name == "wall_seconds" else int
        value = require(limits_data, spec.name, kind, f"{source}: limits")
        if value <= 0:
            raise RuleFileError(f"{source}: limits: '{spec.name}' must be positive, got {value!r}")
        limits[spec.name] = value
    unknown = set(limits_data) - set(limits)
    if unknown:
        raise RuleFileError(f"{source}: limits: unknown keys {sorted(unknown)}")
    return SandboxSettings(
        isolation=isolation,
        bwrap_path=bwrap_path,
        interpreter=require(data, "interpreter", str, source),
        run_as_uid=require(data, "run_as_uid", int, source),
        in_flight=in_flight,
        system_binds=tuple(binds),
        limits=SandboxLimits(**limits),
    )
