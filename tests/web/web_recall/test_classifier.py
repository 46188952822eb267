"""The round classifier's pretokenizer: the same string as the tokenizer's own encode, whatever the text
(chunks remembered, ASCII words given to the BPE model alone, everything else encoded whole)."""

from __future__ import annotations

import random

from tokenizers import Tokenizer, pre_tokenizers

from codelake.web_recall.classifier import Pretokenizer, train_tokenizer

CODE = ["def parse_config(path):\n    return json.load(open(path))['items']", "for (int i = 0; i < n; ++i) { buf[i] = 0; }",
        "SELECT name, count(*) FROM users WHERE id >= 10;", "x = {'a': [1, 2, 3]}  # a dict"]
PROSE = ["The river runs past the garden in the morning.", "Café crème, naïve façade — «quoted» text…",
         "ΟΔΟΣ and Straße and İstanbul", "日本語のテキストも少し"]
# What splitting a text on Python's whitespace could get wrong: separators Python splits at and the
# tokenizer does not (\x1c-\x1f), whitespace beyond ASCII, combining marks, the added token [UNK]
# (matched before pre-tokenizing), case that lower-cases to more than one character, controls.
ODD = list("abcXYZ_09 \t\n\r.,;:()[]{}<>=+-*/\\\"'`~!@#$%^&|?") + [
    "\x1c", "\x1d", "\x1e", "\x1f", "\xa0", "\u2003", "\u3000", "\x85", "\u200b", "\u2028", "İ", "Σ", "ß", "ﬁ", "é", "e\u0301",
    "日本", "🙂", "[UNK]", "[unk]", "ǅ", "\ufffd", "\x00", "\x7f"]


def _tokenizer() -> Tokenizer:
    return train_tokenizer((CODE + PROSE) * 20, vocab_size=300, min_frequency=2)


def _reference(tokenizer: Tokenizer, texts: list[str]) -> list[str]:
    return [" ".join(encoding.tokens) for encoding in tokenizer.encode_batch(texts)]


def _random_texts(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    words = " ".join(CODE + PROSE).split()
    texts = []
    for _ in range(n):
        parts = [rng.choice(ODD) if rng.random() < 0.4 else rng.choice(words) for _ in range(rng.randint(0, 60))]
        texts.append("".join(p + (rng.choice(ODD) if rng.random() < 0.3 else "") for p in parts))
    return texts


def test_same_tokens_as_the_tokenizer_on_code_prose_and_odd_characters():
    tokenizer = _tokenizer()
    texts = CODE + PROSE + ["", "   ", "\x1c", " [UNK] x[UNK]y ", "a\x1fb c", "\u2003lead and trail\x85"] + _random_texts(1, 2000)
    pretokenizer = Pretokenizer(tokenizer)
    assert pretokenizer._by_word  # the round's tokenizer takes the remembered path
    ours = [line for start in range(0, len(texts), 64) for line in pretokenizer(texts[start:start + 64])]
    assert ours == _reference(tokenizer, texts)
    # a second pass reads everything from what it remembered, with the same result
    assert pretokenizer(texts) == ours


def test_memory_stays_bounded_and_results_stay_the_same_when_it_forgets():
    tokenizer = _tokenizer()
    texts = _random_texts(2, 1500)
    pretokenizer = Pretokenizer(tokenizer, max_pieces=300)
    sizes, ours = [], []
    for start in range(0, len(texts), 20):
        ours += pretokenizer(texts[start:start + 20])
        sizes.append(len(pretokenizer._tokens))
    assert ours == _reference(tokenizer, texts)
    assert max(sizes) < 300 + 20 * 70 * 2  # the bound plus one call's new chunks and words
    assert min(sizes[5:]) < max(sizes)  # it did forget


def test_other_tokenizers_are_encoded_whole():
    tokenizer = _tokenizer()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()])
    pretokenizer = Pretokenizer(tokenizer)
    assert not pretokenizer._by_word
    texts = CODE + PROSE + _random_texts(3, 200)
    assert pretokenizer(texts) == _reference(tokenizer, texts)
