"""Running untrusted code: bubblewrap namespaces, rlimits, a wall clock, structured results."""

from codelake.sandbox.isolation import SandboxUnavailable
from codelake.sandbox.result import STATUSES, ExecutionResult
from codelake.sandbox.sandbox import PythonProgram, Sandbox
from codelake.sandbox.settings import SandboxLimits, SandboxSettings, load_sandbox_settings

__all__ = [
    "STATUSES", "ExecutionResult", "PythonProgram", "Sandbox", "SandboxLimits", "SandboxSettings",
    "SandboxUnavailable", "load_sandbox_settings",
]
