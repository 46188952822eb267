"""SFT chat records: four formats normalized, ChatML rendering, bad records skipped with file:line, and the
loss mask beside the shard marking exactly the assistant answers."""

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


CHAT = {"messages": [
    {"role": "system", "content": "You are a careful coder."},
    {"role": "user", "content": "add two numbers"},
    {"role": "assistant", "content": "def add(a, b):\n    return a + b"},
    {"role": "user", "content": "now subtract"},
    {"role": "assistant", "content": "def sub(a, b):\n    return a - b"},
]}


def _chat_tokenizer(tmp_path):
    corpus = ["You are a careful coder. add two numbers now subtract def add(a, b):\n    return a + b - system user assistant"] * 50
    tokenizer = train_bpe(corpus, 400, TokenizerRules.load().special_tokens)
    path = tmp_path / "tokenizer.json"
    tokenizer.save(str(path))
    return tokenizer, path


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of every run of ones."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def test_loss_mask_marks_each_assistant_answer_and_its_end_of_turn(tmp_path):
    tokenizer, path = _chat_tokenizer(tmp_path)
    data = tmp_path / "chat.jsonl"
    data.write_text(json.dumps(CHAT) + "\n" + json.dumps({"prompt": "now subtract", "completion": "def sub(a, b):\n    return a - b"}) + "\n")
    report = pack_chat([data], path, tmp_path / "out", max_tokens=1000)
    ids = np.fromfile(tmp_path / "out" / "00000.ds", dtype="<u2")
    mask = np.fromfile(tmp_path / "out" / "00000.ds.loss_mask", dtype=np.uint8)
    assert len(mask) == len(ids) and set(mask.tolist()) <= {0, 1}
    trained = [tokenizer.decode(ids[a:b].tolist(), skip_special_tokens=False) for a, b in _runs(mask)]
    assert trained == [
        "def add(a, b):\n    return a + b<|im_end|>",
        "def sub(a, b):\n    return a - b<|im_end|>",
        "def sub(a, b):\n    return a - b<|im_end|>",
    ]
    assert report.target_tokens == int(mask.sum())
    # Everything else is the prompt side: system, user, role headers, the newline after each turn, <|endoftext|>.
    rest = tokenizer.decode(ids[mask == 0].tolist(), skip_special_tokens=False)
    assert rest.startswith("<|im_start|>system\nYou are a careful coder.<|im_end|>\n<|im_start|>user\nadd two numbers<|im_end|>\n<|im_start|>assistant\n")
    assert rest.count("<|endoftext|>") == 2 and "return" not in rest


def test_a_cut_chat_keeps_its_mask_aligned_and_never_trains_the_end_token(tmp_path):
    tokenizer, path = _chat_tokenizer(tmp_path)
    data = tmp_path / "chat.jsonl"
    data.write_text(json.dumps(CHAT) + "\n")
    full = pack_chat([data], path, tmp_path / "full", max_tokens=1000)
    full_mask = np.fromfile(tmp_path / "full" / "00000.ds.loss_mask", dtype=np.uint8)
    cut_at = int(np.flatnonzero(full_mask)[3]) + 1  # inside the first answer
    cut = pack_chat([data], path, tmp_path / "cut", max_tokens=cut_at + 1)
    ids = np.fromfile(tmp_path / "cut" / "00000.ds", dtype="<u2")
    mask = np.fromfile(tmp_path / "cut" / "00000.ds.loss_mask", dtype=np.uint8)
    assert cut.truncated == 1 and len(ids) == len(mask) == cut_at + 1 and full.truncated == 0
    assert ids[-1] == tokenizer.token_to_id("<|endoftext|>") and mask[-1] == 0
    assert mask[:-1].tolist() == full_mask[:cut_at].tolist()
