"""The automation sensor runs by default, covers exactly the code group's conditioned assets, and its
interval (shared with code_dump_sensor) can only be shortened on purpose."""

from __future__ import annotations

import pytest
from dagster import AssetKey, DefaultSensorStatus

from definitions import defs
from sensors.automation import AUTOMATED_GROUPS, automation_default_status, code_automation_sensor
from sensors.interval import DEFAULT_SENSOR_INTERVAL_SECONDS, sensor_interval_seconds


def test_runs_by_default_and_replaces_dagsters_stopped_default_sensor():
    assert code_automation_sensor.default_status == DefaultSensorStatus.RUNNING
    names = {s.name for s in defs.get_repository_def().sensor_defs}
    assert "default_automation_condition_sensor" not in names and "code_automation_sensor" in names


def test_codelake_automation_off_makes_it_start_stopped(monkeypatch):
    monkeypatch.setenv("CODELAKE_AUTOMATION", "off")
    assert automation_default_status() == DefaultSensorStatus.STOPPED
    monkeypatch.setenv("CODELAKE_AUTOMATION", "on")
    assert automation_default_status() == DefaultSensorStatus.RUNNING
    monkeypatch.setenv("CODELAKE_AUTOMATION", "maybe")
    with pytest.raises(ValueError, match="CODELAKE_AUTOMATION='maybe' must be"):
        automation_default_status()


def test_targets_every_asset_of_the_automated_groups_and_only_conditioned_ones_can_be_requested():
    graph = defs.resolve_asset_graph()
    targeted = code_automation_sensor.asset_selection.resolve(graph)
    in_groups = {k for k in graph.get_all_asset_keys() if graph.get(k).group_name in AUTOMATED_GROUPS}
    assert targeted == in_groups
    conditioned = {k.to_user_string() for k in targeted if graph.get(k).automation_condition is not None}
    assert conditioned == {"exact_dedup", "fuzzy_dedup", "transformed", "filter_signals", "filtered", "code_corpus", "web_text", "code_web_recall", "code_web_corpus"}
    assert graph.get(AssetKey("raw_files")).automation_condition is None  # started by code_dump_sensor only
    # Nothing with a condition is left to Dagster's stopped default sensor.
    uncovered = {k for k in graph.get_all_asset_keys() if graph.get(k).automation_condition is not None} - targeted
    assert uncovered == set(), f"{uncovered} have a condition nobody evaluates: add their group to sensors/automation.py AUTOMATED_GROUPS"


def test_interval_defaults_to_30_seconds_and_reads_the_environment(monkeypatch):
    monkeypatch.delenv("CODELAKE_SENSOR_INTERVAL_SECONDS", raising=False)
    assert sensor_interval_seconds() == DEFAULT_SENSOR_INTERVAL_SECONDS == 30
    monkeypatch.setenv("CODELAKE_SENSOR_INTERVAL_SECONDS", "5")
    assert sensor_interval_seconds() == 5
    for bad in ("soon", "0"):
        monkeypatch.setenv("CODELAKE_SENSOR_INTERVAL_SECONDS", bad)
        with pytest.raises(ValueError, match="CODELAKE_SENSOR_INTERVAL_SECONDS"):
            sensor_interval_seconds()
