"""SFT chat records: four formats normalized, ChatML rendering, bad records skipped with file:line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from training.chat import normalize, pack_chat
from training.tokenizer import TokenizerRules, train_bpe


def test_formats_normalize_to_turns():
    turns = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    assert normalize({"messages": turns}) == turns
    assert normalize({"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]}) == turns
    assert normalize({"instruction": "hi", "input": "", "output": "hello"}) == turns
    assert normalize({"instruction": "hi", "input": "x", "output": "hello"})[0]["content"] == "hi\n\nx"
    assert normalize({"prompt": "hi", "completion": "hello"}) == turns
    assert normalize({"text": "no chat"}) is None
    assert normalize({"messages": [{"role": "robot", "content": "x"}]}) is None


def test_pack_chat_renders_chatml_and_skips_bad_records(tmp_path):
    data = tmp_path / "chat.jsonl"
    records = [{"prompt": "add two numbers", "completion": "def add(a, b): return a + b"}, {"text": "nope"}]
    data.write_text("\n".join(json.dumps(r) for r in records) + "\nnot json\n")
    tokenizer = train_bpe(["def add(a, b): return a + b user assistant"] * 50, 400, TokenizerRules.load().special_tokens)
    path = tmp_path / "tokenizer.json"
    tokenizer.save(str(path))
    report = pack_chat([data], path, tmp_path / "out", max_tokens=1000)
    assert report.records == 3 and report.packed == 1 and len(report.skipped) == 2
    assert report.skipped[0].startswith(f"{data}:2:") and report.skipped[1].startswith(f"{data}:3:")
    ids = np.fromfile(tmp_path / "out" / "00000.ds", dtype="<u2").tolist()
    text = tokenizer.decode(ids, skip_special_tokens=False)
    assert text == "<|im_start|>user\nadd two numbers<|im_end|>\n<|im_start|>assistant\ndef add(a, b): return a + b<|im_end|>\n<|endoftext|>"


def test_no_usable_record_is_an_error(tmp_path):
    data = tmp_path / "chat.jsonl"
    data.write_text('{"text": "x"}\n')
    tokenizer = train_bpe(["x y z"] * 10, 300, TokenizerRules.load().special_tokens)
    tokenizer.save(str(tmp_path / "t.json"))
    with pytest.raises(ValueError, match="no usable chat record"):
        pack_chat([data], tmp_path / "t.json", tmp_path / "out", max_tokens=100)
