"""The stage registry: one table that `codelake run`, the assets and the benches look stages up in."""

from __future__ import annotations

import pytest

from codelake.cli.main import build_parser
from codelake.registry import CODE_CHAIN, STAGES, Stage, StageOptions, chain, register, stage


def test_the_code_chain_follows_upstream_links_from_a_dump():
    assert CODE_CHAIN == ["raw_files", "exact_dedup", "fuzzy_dedup", "transformed", "filter_signals", "filtered", "code_corpus"]
    assert stage("raw_files").upstream is None and stage("raw_files").input_kind == "dump"
    for before, after in zip(CODE_CHAIN, CODE_CHAIN[1:]):
        assert stage(after).upstream == before


def test_codelake_run_offers_exactly_the_registered_stages():
    run = next(a for a in build_parser()._subparsers._group_actions[0].choices.items() if a[0] == "run")[1]
    choices = next(a.choices for a in run._actions if a.dest == "stage")
    assert list(choices) == list(STAGES)


def test_an_unknown_stage_names_the_known_ones():
    with pytest.raises(ValueError, match="no stage named 'nope'.*raw_files"):
        stage("nope")


def test_a_later_branch_plugs_in_and_is_found_by_name(tmp_path):
    calls = []

    def run(lake, options):
        calls.append((lake.root, options.workers))
        return "report"

    extra = Stage("code_corpus_stats_for_test", "code_corpus", run)
    try:
        register(extra)
        assert stage(extra.name).run(type("L", (), {"root": tmp_path})(), StageOptions(workers=3)) == "report"
        assert calls == [(tmp_path, 3)]
        assert [s.name for s in chain(extra.name)] == CODE_CHAIN + [extra.name]
        with pytest.raises(ValueError, match="registered twice"):
            register(Stage(extra.name, "filtered", run))
    finally:
        STAGES.pop(extra.name, None)
