"""The tokenizer: trained byte-level BPE with every special token, special strings in text stay text,
an adopted tokenizer.json gains the tokens it lacks, and the hash is stable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codelake.rules import RuleFileError
from training.tokenizer import REQUIRED_SPECIAL_TOKENS, TokenizerRules, load_tokenizer, special_token_ids, token_size, tokenizer_hash, train_bpe

TEXTS = [p.read_text(encoding="utf-8") for p in sorted(Path(os.__file__).parent.glob("*.py"))[:60]]
SPECIAL = TokenizerRules.load().special_tokens


def test_trained_tokenizer_round_trips_text_and_has_the_special_tokens():
    tokenizer = train_bpe(TEXTS, 800, SPECIAL)
    assert tokenizer.get_vocab_size() == 800
    ids = special_token_ids(tokenizer)
    assert sorted(ids.values()) == list(range(len(REQUIRED_SPECIAL_TOKENS)))  # added first, in order
    sample = "def f(x):\n    return x ** 2  # é ü 漢字 \t\n"
    assert tokenizer.decode(tokenizer.encode(sample).ids) == sample  # byte level: nothing out of vocabulary


def test_a_special_string_inside_a_file_is_encoded_as_text():
    tokenizer = train_bpe(TEXTS, 800, SPECIAL)
    eot = tokenizer.token_to_id("<|endoftext|>")
    encoded = tokenizer.encode_batch_fast(['s = "<|endoftext|>"'], add_special_tokens=False)[0].ids
    assert eot not in encoded and len(encoded) > 3


def test_the_hash_is_stable_and_changes_with_the_vocabulary():
    a, b, c = train_bpe(TEXTS, 800, SPECIAL), train_bpe(TEXTS, 800, SPECIAL), train_bpe(TEXTS, 900, SPECIAL)
    assert tokenizer_hash(a) == tokenizer_hash(b) != tokenizer_hash(c)


def test_an_adopted_tokenizer_gets_the_missing_special_tokens(tmp_path):
    plain = train_bpe(TEXTS, 600, ["<|endoftext|>"])
    plain.save(str(tmp_path / "tokenizer.json"))
    tokenizer, added = load_tokenizer(tmp_path / "tokenizer.json", SPECIAL)
    assert set(added) == set(SPECIAL) - {"<|endoftext|>"}
    assert special_token_ids(tokenizer)["<|fim_middle|>"] >= 600


def test_a_broken_tokenizer_file_is_a_clear_error(tmp_path):
    (tmp_path / "tokenizer.json").write_text("{not json")
    with pytest.raises(ValueError, match="tokenizer.json: not a usable tokenizer.json"):
        load_tokenizer(tmp_path / "tokenizer.json")


def test_rules_without_a_required_special_token_are_refused(tmp_path):
    rules = tmp_path / "tokenizer.yaml"
    rules.write_text("vocab_size: 1000\nmin_frequency: 2\nsample: {max_documents: 10, max_bytes_per_document: 10, seed: 1}\nspecial_tokens: ['<|endoftext|>']\n")
    with pytest.raises(RuleFileError, match="lacks"):
        TokenizerRules.load(rules)


def test_token_size_follows_the_vocabulary():
    assert token_size(65536) == 2 and token_size(96640) == 4
