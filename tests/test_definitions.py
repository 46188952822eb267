"""The code location loads and its graph is what the README shows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster import AssetKey

ROOT = Path(__file__).resolve().parents[1]


# Every asset of the graph by group, with its parents: a branch that lands adds its group here.
GRAPH = {
    "code": {
        "raw_files": set(), "exact_dedup": {"raw_files"}, "fuzzy_dedup": {"exact_dedup"}, "transformed": {"fuzzy_dedup"},
        "filter_signals": {"transformed"}, "filtered": {"filter_signals"}, "code_corpus": {"filtered"},
    },
    "annealing": {
        "algorithmic_corpus": {"code_corpus"}, "synthetic_snippets": {"algorithmic_corpus", "code_corpus"},
        "code_textbooks": {"algorithmic_corpus", "code_corpus"},
        "annealing_mixture": {"algorithmic_corpus", "code_corpus", "code_textbooks", "synthetic_snippets"},
    },
    "sft": {
        "sft_raw": set(), "sft_verified": {"sft_raw"}, "sft_synth": {"code_corpus"}, "sft_decontaminated": {"sft_verified", "sft_synth"},
        "sft_stage1": {"sft_decontaminated"}, "sft_stage2": {"sft_decontaminated"}, "benchmark_contamination": {"code_corpus"},
    },
    "web": {"web_pages": set(), "web_text": {"web_pages"}, "code_web_recall": {"web_text"}, "code_web_corpus": {"code_web_recall"}},
    "training": {
        "tokenizer": {"code_corpus"}, "pretrain_shards": {"code_corpus", "code_web_corpus", "tokenizer"},
        "annealing_shards": {"code_corpus", "tokenizer", "annealing_mixture"}, "pretrain_checkpoint": {"pretrain_shards"},
        "annealed_checkpoint": {"annealing_shards", "pretrain_checkpoint"}, "sft_checkpoint": {"annealed_checkpoint", "tokenizer", "sft_stage1", "sft_stage2"},
        "evaluation": {"sft_checkpoint"},
    },
}
# Assets whose rows are documents carry the conservation checks; the training jobs and the tokenizer do not.
WITHOUT_ROW_CHECKS = {"tokenizer", "pretrain_checkpoint", "annealed_checkpoint", "sft_checkpoint", "evaluation", "benchmark_contamination"}


def test_asset_graph_snapshot():
    from definitions import defs

    graph = defs.resolve_asset_graph()
    actual = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        actual.setdefault(node.group_name, {})[key.to_user_string()] = {p.to_user_string() for p in node.parent_keys}
    assert actual == GRAPH
    assert graph.get(AssetKey("raw_files")).partitions_def.name == "code_dumps"
    keys = {name for group in GRAPH.values() for name in group}
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert checks == {(a, c) for a in keys - WITHOUT_ROW_CHECKS for c in ("rows_conserved", "unique_doc_ids")}
    sensors = sorted(s.name for s in defs.get_repository_def().sensor_defs)
    assert sensors == ["code_automation_sensor", "code_dump_sensor", "instruction_sensor", "web_dump_sensor"]  # no STOPPED default sensor
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
