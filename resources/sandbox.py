from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field

from codelake.sandbox import Sandbox, load_sandbox_settings


class SandboxResource(ConfigurableResource):
    """Runs untrusted code (snippets and their tests, HumanEval completions) in a bubblewrap sandbox.

    Unset fields take their value from `rules/sandbox.yaml`. `isolation: none` runs code with no
    isolation at all (rlimits and a timeout only) and must be chosen explicitly; with `bwrap` and no
    bubblewrap installed, `sandbox()` raises instead of running anything."""

    rules_path: str | None = Field(default=None, description="Settings file; default rules/sandbox.yaml")
    isolation: str | None = Field(default=None, description="bwrap (default) or none (NO isolation)")
    bwrap_path: str | None = Field(default=None, description="bubblewrap executable; default `bwrap` on PATH")
    interpreter: str | None = Field(default=None, description="Python run in the sandbox; auto = this one or /usr/bin/python3")
    in_flight: int | None = Field(default=None, description="Programs running at once in run_many")
    hidden_paths: list[str] = Field(default_factory=list, description="More host paths to keep invisible (the lake, the project and ~ always are)")
    wall_seconds: float | None = None
    cpu_seconds: int | None = None
    memory_bytes: int | None = None
    processes: int | None = None
    open_files: int | None = None
    file_size_bytes: int | None = None
    disk_bytes: int | None = None
    output_bytes: int | None = None

    def sandbox(self) -> Sandbox:
        settings = load_sandbox_settings(self.rules_path)
        changes = {name: getattr(self, name) for name in ("isolation", "bwrap_path", "interpreter", "in_flight") if getattr(self, name) is not None}
        limits = {
            name: getattr(self, name)
            for name in ("wall_seconds", "cpu_seconds", "memory_bytes", "processes", "open_files",
                         "file_size_bytes", "disk_bytes", "output_bytes")
            if getattr(self, name) is not None
        }
        settings = settings.replace(**changes, limits=settings.limits.replace(**limits))
        return Sandbox(settings=settings, hidden_paths=self.hidden_paths)
