"""The one chat normalizer: four formats, system turns, and every rejection reason with its detail."""

from __future__ import annotations

import pytest

from codelake.sft_raw.formats import Normalized, RawRules, Rejection, chat_turns, normalize_record
from training.chat import normalize

RULES = RawRules.load()
PAIR = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]


def test_four_formats_normalize_to_the_same_turns():
    records = {
        "messages": {"messages": PAIR},
        "conversations": {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]},
        "alpaca": {"instruction": "hi", "input": "", "output": "hello"},
        "prompt_completion": {"prompt": "hi", "completion": "hello"},
    }
    for kind, record in records.items():
        result = normalize_record(record, RULES)
        assert isinstance(result, Normalized) and result.format == kind and result.turns == PAIR


def test_system_turns_ids_tests_and_text_parts():
    result = normalize_record({"id": 7, "system": "be brief", "instruction": "add", "input": "1 and 2", "output": "3", "test_list": ["assert 1"]}, RULES)
    assert result.turns[0] == {"role": "system", "content": "be brief"} and result.turns[1]["content"] == "add\n\n1 and 2"
    assert result.record_id == "7" and result.tests == ["assert 1"]
    sharegpt = normalize_record({"system": "s", "conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]}, RULES)
    assert [t["role"] for t in sharegpt.turns] == ["system", "user", "assistant"]
    parts = normalize_record({"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
                                           {"role": "assistant", "content": "c"}]}, RULES)
    assert parts.turns[0]["content"] == "ab"
    multi = [*PAIR, {"role": "user", "content": "more"}, {"role": "assistant", "content": "sure"}]
    assert normalize_record({"messages": [{"role": "system", "content": "s"}, *multi]}, RULES).turns[1:] == multi


@pytest.mark.parametrize(
    "record, reason, needle",
    [
        ([1, 2], "no_format", "list"),
        ({"text": "plain"}, "no_format", "text"),
        ({"messages": "hi"}, "wrong_schema", "must be a list"),
        ({"messages": [{"role": "user"}]}, "wrong_schema", "messages[0]"),
        ({"messages": [{"role": "user", "content": 3}, {"role": "assistant", "content": "x"}]}, "wrong_schema", "content"),
        ({"instruction": ["x"], "output": "y"}, "wrong_schema", "instruction"),
        ({"messages": [{"role": "tool", "content": "x"}, {"role": "assistant", "content": "y"}]}, "unknown_role", "tool"),
        ({"prompt": "q", "completion": "  \n"}, "empty_turn", "assistant"),
        ({"messages": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "q"}]}, "broken_role_order", "expected user"),
        ({"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}, "broken_role_order", "alternate"),
        ({"messages": [*PAIR, {"role": "user", "content": "dangling"}]}, "broken_role_order", "last turn"),
        ({"messages": [PAIR[0], {"role": "system", "content": "late"}, PAIR[1]]}, "broken_role_order", "system"),
        ({"messages": [PAIR[0]]}, "broken_role_order", "at least one"),
        ({"prompt": "q" * (RULES.max_record_chars + 1), "completion": "a"}, "oversized", "max_record_chars"),
        ({"messages": PAIR * (RULES.max_turns // 2 + 1)}, "oversized", "max_turns"),
        ({"prompt": "bad \ud800 surrogate", "completion": "a"}, "invalid_utf8", "surrogate"),
        ({"prompt": "q", "completion": "a", "tests": 5}, "wrong_schema", "tests"),
    ],
)
def test_rejections_say_why(record, reason, needle):
    result = normalize_record(record, RULES)
    assert isinstance(result, Rejection), result
    assert result.reason == reason and needle in result.detail


def test_the_trainer_reads_through_the_same_normalizer():
    assert normalize({"messages": PAIR}) == chat_turns({"messages": PAIR}) == PAIR
    assert normalize({"messages": [PAIR[1], PAIR[0]]}) is None  # broken role order: not packed either
