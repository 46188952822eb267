"""Without bubblewrap the sandbox says so and refuses; only an explicit `isolation: none` runs code bare."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import pytest

from codelake.sandbox import Sandbox, SandboxUnavailable, load_sandbox_settings
from resources.sandbox import SandboxResource


def test_missing_bwrap_refuses_and_names_the_way_out(tmp_path):
    settings = load_sandbox_settings().replace(bwrap_path=str(tmp_path / "no-such-bwrap"))
    with pytest.raises(SandboxUnavailable, match="bubblewrap not found") as error:
        Sandbox(settings=settings)
    assert "no-such-bwrap" in str(error.value) and "isolation: none" in str(error.value)


def test_missing_bwrap_through_the_resource_refuses_too(tmp_path):
    with pytest.raises(SandboxUnavailable, match="bubblewrap not found"):
        SandboxResource(bwrap_path=str(tmp_path / "no-such-bwrap")).sandbox()


def test_a_bwrap_that_cannot_build_the_sandbox_refuses_before_running_anything():
    # A bwrap that fails as it does where user namespaces are disabled (in a directory the
    # unprivileged sandbox user can reach: pytest's tmp_path is private to root).
    with tempfile.TemporaryDirectory(prefix="fake-bwrap-") as folder:
        os.chmod(folder, 0o755)
        fake = Path(folder) / "bwrap"
        fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
        fake.chmod(0o755)
        sandbox = Sandbox(settings=load_sandbox_settings().replace(bwrap_path=str(fake)))
        with pytest.raises(SandboxUnavailable, match="cannot start the sandbox here.*No permissions"):
            sandbox.run_python("print('never')")


def test_explicit_none_runs_with_limits_and_warns(tmp_path, caplog):
    settings = load_sandbox_settings().replace(bwrap_path=str(tmp_path / "no-such-bwrap"))
    with caplog.at_level(logging.WARNING, logger="codelake.sandbox.sandbox"):
        sandbox = Sandbox(settings=settings, isolation="none")
    assert "untrusted code runs on this host" in caplog.text
    sandbox = sandbox.with_limits(wall_seconds=2, cpu_seconds=1)
    result = sandbox.run_python("import os\nprint(os.getcwd())\nopen('here.txt', 'w').write('x')")
    assert result.passed and result.isolation == "none" and result.cpu_seconds is not None
    work = result.stdout.strip()
    assert os.path.basename(work).startswith("codelake-sandbox-") and not os.path.exists(work)  # removed
    assert sandbox.run_python("import time\ntime.sleep(30)").status == "timeout"
    assert sandbox.run_python("x = bytearray(2 << 30)").limit == "memory"
