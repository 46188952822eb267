"""The code location loads and its graph is what the README shows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster import AssetKey

ROOT = Path(__file__).resolve().parents[1]


def test_asset_graph_snapshot():
    from definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert keys == {"raw_files", "exact_dedup", "fuzzy_dedup", "transformed", "filter_signals", "filtered", "code_corpus"}
    assert graph.get(AssetKey("exact_dedup")).parent_keys == {AssetKey("raw_files")}
    assert graph.get(AssetKey("fuzzy_dedup")).parent_keys == {AssetKey("exact_dedup")}
    assert graph.get(AssetKey("transformed")).parent_keys == {AssetKey("fuzzy_dedup")}
    assert graph.get(AssetKey("filter_signals")).parent_keys == {AssetKey("transformed")}
    assert graph.get(AssetKey("filtered")).parent_keys == {AssetKey("filter_signals")}
    assert graph.get(AssetKey("code_corpus")).parent_keys == {AssetKey("filtered")}
    assert graph.get(AssetKey("raw_files")).partitions_def.name == "code_dumps"
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert checks == {(a, c) for a in keys for c in ("rows_conserved", "unique_doc_ids")}
    assert sorted(s.name for s in defs.get_repository_def().sensor_defs) == ["code_automation_sensor", "code_dump_sensor"]  # no STOPPED default_automation_condition_sensor
    assert all(graph.get(k).code_version for k in graph.get_all_asset_keys())


def test_dagster_cli_validates_the_code_location():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_unknown_deployment_is_a_clear_error():
    import pytest

    from resources import resources_for_deployment

    with pytest.raises(ValueError, match="CODELAKE_DEPLOYMENT='mars'"):
        resources_for_deployment("mars")
