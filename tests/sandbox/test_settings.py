"""rules/sandbox.yaml: the defaults load, overrides apply, a bad file names itself and the key."""

from __future__ import annotations

import pytest
import yaml

from codelake.rules import RuleFileError
from codelake.sandbox import load_sandbox_settings
from codelake.sandbox.settings import SANDBOX_RULES
from resources.sandbox import SandboxResource


def test_the_project_rules_load():
    settings = load_sandbox_settings()
    assert settings.isolation == "bwrap"
    assert settings.limits.wall_seconds > settings.limits.cpu_seconds > 0
    assert "/usr" in settings.system_binds


def _write(tmp_path, change):
    data = yaml.safe_load(SANDBOX_RULES.read_text())
    change(data)
    path = tmp_path / "sandbox.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.update(isolation="docker"), "'isolation' must be one of"),
        (lambda d: d["limits"].update(cpu_seconds=-1), "'cpu_seconds' must be positive"),
        (lambda d: d["limits"].pop("memory_bytes"), "missing key 'memory_bytes'"),
        (lambda d: d["limits"].update(gpu_seconds=3), "unknown keys"),
        (lambda d: d.update(system_binds=["usr"]), "absolute paths"),
        (lambda d: d.update(in_flight=0), "'in_flight' must be at least 1"),
    ],
)
def test_bad_settings_name_the_file_and_the_problem(tmp_path, change, message):
    path = _write(tmp_path, change)
    with pytest.raises(RuleFileError, match=message) as error:
        load_sandbox_settings(path)
    assert str(path) in str(error.value)


def test_resource_overrides_the_rules(tmp_path):
    path = _write(tmp_path, lambda d: d["limits"].update(cpu_seconds=7))
    sandbox = SandboxResource(rules_path=str(path), wall_seconds=1.5, processes=8, in_flight=3).sandbox()
    assert (sandbox.limits.cpu_seconds, sandbox.limits.wall_seconds, sandbox.limits.processes) == (7, 1.5, 8)
    assert sandbox.settings.in_flight == 3
    assert sandbox.isolation == "bwrap"
