"""Mining candidates from one file: what counts as self-contained, what the snippet and program hold."""

from __future__ import annotations

from annealing_corpus import DOCTESTS, UNIT_TESTED

from codelake.synthetic_snippets.generated import parse_answer
from codelake.synthetic_snippets.mine import mine_candidates


def test_doctest_candidates_and_their_verdicts():
    found = {c.name: c for c in mine_candidates(DOCTESTS)}
    assert set(found) == {"hypot2", "wrong", "spins", "clipped", "arr", "most_common"}  # no_examples has no doctest
    assert found["clipped"].reject == "not_self_contained" and "LIMIT" in found["clipped"].reject_detail
    assert found["arr"].reject == "non_stdlib_import" and "numpy" in found["arr"].reject_detail
    hypot = found["hypot2"]
    assert hypot.reject is None and hypot.kind == "doctest" and hypot.tests == 1
    # only the imports it reads, before the function; the program adds the doctest runner
    assert hypot.snippet.startswith("import math\n\n\ndef hypot2(a, b):") and "Counter" not in hypot.snippet
    assert hypot.program.startswith(hypot.snippet) and "testmod" in hypot.program
    assert found["most_common"].snippet.startswith("from collections import Counter\n")


def test_unit_tested_function_carries_its_tests():
    (gcd,) = mine_candidates(UNIT_TESTED)
    assert gcd.name == "gcd" and gcd.kind == "unit_test" and gcd.tests == 1
    assert "def test_gcd():" in gcd.snippet and gcd.program.rstrip().endswith("test_gcd()")


def test_unparsable_files_and_methods_give_nothing():
    assert mine_candidates("def broken(:\n") == []
    method = 'class A:\n    def f(self):\n        """\n        >>> 1\n        1\n        """\n'
    assert mine_candidates(method) == []  # methods need their class: not mined


def test_global_state_and_decorators_are_not_self_contained():
    text = (
        'import functools\n\n\n@functools.lru_cache\ndef f(n):\n    """\n    >>> f(1)\n    1\n    """\n    return n\n\n\n'
        'def g(n):\n    """\n    >>> g(1)\n    1\n    """\n    global X\n    X = n\n    return n\n'
    )
    verdicts = {c.name: (c.reject, c.reject_detail) for c in mine_candidates(text)}
    assert verdicts["f"][0] == "not_self_contained" and "decorated" in verdicts["f"][1]
    assert verdicts["g"][0] == "not_self_contained" and "global" in verdicts["g"][1]


def test_llm_answers_are_parsed_or_rejected_with_a_reason():
    good = "Here:\n```python\nimport math\n\ndef area(r):\n    return math.pi * r * r\n\ndef test_area():\n    assert area(0) == 0\n    assert area(1) > 3\n    assert area(2) > area(1)\n```\n"
    parsed = parse_answer(good, min_asserts=3)
    assert parsed.reject is None and parsed.name == "area" and parsed.tests == 3 and parsed.program.rstrip().endswith("test_area()")
    assert parse_answer("no code here", 3).reject == "no_code_block"
    assert parse_answer("```python\ndef f(:\n```", 3).reject == "syntax_error"
    assert parse_answer("```python\ndef f():\n    return 1\n\nassert f() == 1\n```", 3).reject == "no_tests"
    # asserts in a function nobody calls do not count
    uncalled = "```python\ndef f():\n    return 1\n\ndef check(x):\n    assert x\n    assert x\n    assert x\n```"
    assert parse_answer(uncalled, 3).reject == "no_tests"
    assert parse_answer("```python\nimport requests\ndef f():\n    pass\nassert 1\nassert 1\nassert 1\n```", 3).reject == "non_stdlib_import"
