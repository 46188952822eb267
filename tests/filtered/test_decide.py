"""decide() is a pure function of (signals table, rules, seed); thresholds re-decide without signals."""

import numpy as np
import polars as pl
import pytest

from codelake.filtered import decide, per_rule_stats
from codelake.filtered.profiles import PROFILES
from codelake.filtered.reference import reference_decide
from codelake.filtered.registry import SIGNALS


def random_signals(seed: int, rows: int = 300) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    data = {"doc_id": [f"doc-{seed}-{i}" for i in range(rows)], "profile": rng.choice(list(PROFILES), rows).tolist()}
    for name, (kind, _) in SIGNALS.items():
        nulls = rng.random(rows) < 0.1
        if kind == "bool":
            values = rng.random(rows) < 0.3
            data[name] = [None if n else bool(v) for v, n in zip(values, nulls)]
        else:
            scale = rng.choice([1.0, 20.0, 2000.0, 200000.0])
            values = rng.random(rows) * scale
            data[name] = [None if n else float(v) for v, n in zip(values, nulls)]
    schema = {"doc_id": pl.String, "profile": pl.String} | {n: (pl.Boolean if k == "bool" else pl.Float64) for n, (k, _) in SIGNALS.items()}
    return pl.DataFrame(data, schema=schema)


@pytest.mark.parametrize("seed", range(6))
def test_decide_is_pure(rules, seed):
    signals = random_signals(seed)
    before = signals.clone()
    first = decide(signals, rules, seed)
    assert signals.equals(before)  # input untouched
    assert decide(signals, rules, seed).equals(first)  # same inputs, same output
    # row order does not matter: each file's decision depends only on its own row
    shuffled = signals.sample(fraction=1.0, shuffle=True, seed=seed)
    again = decide(shuffled, rules, seed).sort("doc_id")
    assert again.equals(first.sort("doc_id"))
    # a file's decision does not depend on the other rows present
    half = decide(signals.head(150), rules, seed)
    assert half.equals(first.head(150))


@pytest.mark.parametrize("seed", range(4))
def test_decide_matches_per_row_reference(rules, seed):
    signals = random_signals(100 + seed)
    out = decide(signals, rules, seed)
    for row, (doc_id, keep, reasons) in zip(signals.iter_rows(named=True), out.select("doc_id", "keep", "reasons").iter_rows()):
        assert reference_decide(row, rules, seed) == (keep, list(reasons)), doc_id


def test_seed_only_affects_probabilistic_rules(rules):
    signals = random_signals(7)
    a, b = decide(signals, rules, 1), decide(signals, rules, 2)
    prob = {r.name for r in rules.rules if r.probability < 1}
    for ra, rb in zip(a["reasons"].to_list(), b["reasons"].to_list()):
        assert set(ra) - prob == set(rb) - prob


def test_changing_a_threshold_redecides_from_the_same_table(rules):
    signals = random_signals(9).with_columns(
        pl.lit("python").alias("profile"), pl.lit(5000.0).alias("qsc_code_num_chars_line_max")
    )
    base = decide(signals, rules)
    looser = rules.with_threshold("code_line_max", 1e12)
    out = decide(signals, looser)
    assert not any("code_line_max" in r for r in out["reasons"].to_list())
    assert any("code_line_max" in r for r in base["reasons"].to_list())


def test_per_rule_stats_lists_every_rule(rules):
    signals = random_signals(11)
    stats = per_rule_stats(signals, rules)
    assert set(stats["rule"]) == {r.name for r in rules.rules}
    fired = decide(signals, rules)
    n = sum("code_line_max" in r for r in fired["reasons"].to_list())
    assert stats.filter(pl.col("rule") == "code_line_max")["files"].sum() == n
