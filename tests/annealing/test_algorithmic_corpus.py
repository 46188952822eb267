"""algorithmic_corpus: which files the weighted rules select, what the lineage says about the rest."""

from __future__ import annotations

import json

import pytest

from codelake.algorithmic_corpus import AlgorithmicRules, run_algorithmic_corpus
from codelake.checks import conservation, duplicate_doc_ids
from codelake.rules import RuleFileError


def test_selection_per_rule_and_lineage(lake):
    report = run_algorithmic_corpus(lake)
    table = lake.dataset("algorithmic_corpus").to_table().to_pylist()
    selected = {(r["repo"], r["path"]): (r["algorithmic_rules"], r["algorithmic_score"]) for r in table}
    assert selected == {
        ("algo/leetcode", "two_sum.py"): (["leetcode", "class_solution"], 2.0),
        ("algo/contest", "a.py"): (["competitive_io_python"], 1.0),
        ("algo/contest", "b.cpp"): (["competitive_io_cpp"], 1.0),
        ("algo/misc", "runs.py"): (["problem_given", "complexity_annotation"], 1.0),  # two weak signals
    }
    assert all(r["text"] for r in table)  # the rows keep code_corpus's columns, text included
    drops = {
        (r["repo"], r["path"]): json.loads(r["detail"])
        for r in lake.dataset("lineage").to_table().to_pylist() if r["stage"] == "algorithmic_corpus"
    }
    assert {r["reason"] for r in lake.dataset("lineage").to_table().to_pylist()} == {"not_algorithmic"}
    assert drops[("util/paths", "names.py")] == {"score": 0.5, "select_at": 1.0, "rules": ["problem_given"]}  # one weak signal
    assert drops[("algo/leetcode", "README.md")]["type"] == "prose"  # mentions LeetCode, but it is not code
    by_rule = {row["rule"]: row for row in report.tables["rules"]}
    assert by_rule["leetcode"]["files_matched"] == 1 and by_rule["leetcode"]["files_selected"] == 1
    assert by_rule["problem_given"]["files_matched"] == 2 and by_rule["problem_given"]["files_selected"] == 1
    assert by_rule["def_solution"]["files_matched"] == 0
    rows_in = lake.count("code_corpus")
    assert conservation(lake, "algorithmic_corpus", report.version, rows_in).holds
    assert duplicate_doc_ids(lake, "algorithmic_corpus", report.version) == 0
    assert report.rows_in == rows_in and report.rows_kept == 4


def test_rules_file_errors_name_the_file_and_rule(tmp_path):
    path = tmp_path / "algorithmic.yaml"
    path.write_text("select_at: 1\nlanguage_types: [programming]\nrules:\n  - {name: bad, pattern: '(unclosed', weight: 1}\n")
    with pytest.raises(RuleFileError, match=r"algorithmic\.yaml: rules\[0\] \(bad\): pattern does not compile"):
        AlgorithmicRules.load(path)
    path.write_text("select_at: 1\nlanguage_types: [code]\nrules:\n  - {name: a, pattern: x, weight: 1}\n")
    with pytest.raises(RuleFileError, match="language_types"):
        AlgorithmicRules.load(path)
    path.write_text("select_at: 1\nlanguage_types: [programming]\nrules:\n  - {name: a, pattern: x, weight: 1}\n  - {name: a, pattern: y, weight: 1}\n")
    with pytest.raises(RuleFileError, match="'a' is defined twice"):
        AlgorithmicRules.load(path)


def test_shipped_rules_load():
    rules = AlgorithmicRules.load()
    names = [r.name for r in rules.rules]
    assert {"leetcode", "def_solution", "class_solution"} <= set(names)
    assert all(r.weight >= rules.select_at for r in rules.rules if r.name in ("leetcode", "def_solution", "class_solution"))
