"""Mixture planning: weights, the richest share read once, scarce shares capped at max_repeat and their
weight moved to the others (or the whole mixture shrunk), each decision in the notes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from codelake.pretrain_shards.mixture import MixtureSpec, SourceSpec
from codelake.pretrain_shards.plan import plan_mixture
from codelake.pretrain_shards.sources import Source


def _mixture(tmp_path, **extra) -> MixtureSpec:
    spec = {"seed": 1, "max_repeat": 4.0, "total_tokens": None, "max_tokens_per_document": 10**9, "min_chars": 1, "shard_tokens": 1000,
            "shares": {"code": {"weight": 0.7, "sources": [{"table": "c"}]}, "text": {"weight": 0.2, "sources": [{"table": "t"}]},
                       "math": {"weight": 0.1, "sources": [{"table": "m"}]}},
            "fim": {"rate": 0.5, "shares": ["code"]}, "repo_level": {"rate": 0.0, "shares": []}, **extra}
    (tmp_path / "m.yaml").write_text(json.dumps(spec))
    return MixtureSpec.load(tmp_path / "m.yaml")


def _sources(code: int, text: int, math: int) -> dict[str, list[Source]]:
    def one(name, share, n):
        return [Source(SourceSpec(table=name), share, np.full(n, 100, np.int64))]

    return {"code": one("c", "code", code), "text": one("t", "text", text), "math": one("m", "math", math)}


def _targets(plan):
    return {p.name: p.target_tokens for p in plan.shares}


def test_the_richest_share_is_read_once_and_the_others_follow_its_weight(tmp_path):
    plan = plan_mixture(_mixture(tmp_path), _sources(700, 100, 100), {"c": 1.0, "t": 1.0, "m": 1.0}, [])
    t = _targets(plan)
    assert t["code"] == pytest.approx(70_000) and t["text"] == pytest.approx(20_000) and t["math"] == pytest.approx(10_000)
    assert {p.name: round(p.rate, 3) for p in plan.shares} == {"code": 1.0, "text": 2.0, "math": 1.0} and not plan.notes


def test_a_scarce_share_gives_what_it_has_and_its_weight_goes_to_the_others(tmp_path):
    notes: list[str] = []
    plan = plan_mixture(_mixture(tmp_path), _sources(700, 100, 1), {"c": 1.0, "t": 1.0, "m": 1.0}, notes)
    t = _targets(plan)
    assert t["math"] == pytest.approx(400)  # 1 document x 100 tokens x max_repeat 4
    assert t["code"] == pytest.approx(70_000)  # code is still read exactly once
    assert t["text"] / t["code"] == pytest.approx(0.2 / 0.7)  # the uncapped shares keep their ratio
    assert any("'math'" in n and "renormalized" in n for n in notes)


def test_shrink_keeps_every_weight_and_shrinks_the_mixture(tmp_path):
    notes: list[str] = []
    plan = plan_mixture(_mixture(tmp_path, scarce_shares="shrink"), _sources(700, 100, 1), {"c": 1.0, "t": 1.0, "m": 1.0}, notes)
    t = _targets(plan)
    assert t["math"] == pytest.approx(400) and t["code"] == pytest.approx(2800) and t["text"] == pytest.approx(800)


def test_total_tokens_caps_the_mixture(tmp_path):
    plan = plan_mixture(_mixture(tmp_path, total_tokens=10_000), _sources(700, 100, 100), {"c": 1.0, "t": 1.0, "m": 1.0}, [])
    assert sum(_targets(plan).values()) == pytest.approx(10_000) and _targets(plan)["code"] == pytest.approx(7_000)
