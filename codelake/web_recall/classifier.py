"""One round's classifier: a BPE tokenizer trained on the round's seed (HF tokenizers), texts
pretokenized with it, and a fastText model (fasttext-community) trained on the pretokenized seed.

`RoundModel.to_bytes()` is what the lake stores: the tokenizer JSON and the fastText model file, with
the SHA-256 of the model file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from bisect import bisect_left
from dataclasses import dataclass, field
from itertools import chain

import fasttext
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

POSITIVE, NEGATIVE = "__label__code", "__label__other"
# Python's str.split() splits at these four (information separators), the tokenizers' Whitespace
# pre-tokenizer keeps them as punctuation: a text holding one is split at the other whitespace only.
_SEPARATORS = re.compile("[\x1c-\x1f]")
_SPACE_NOT_SEPARATOR = re.compile(r"[^\S\x1c-\x1f]+")
# The Whitespace pre-tokenizer's pre-tokens of an ASCII chunk (no whitespace inside it)
_ASCII_WORDS = re.compile(r"[A-Za-z0-9_]+|[^A-Za-z0-9_]+")


def train_tokenizer(texts: list[str], vocab_size: int, min_frequency: int) -> Tokenizer:
    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=["[UNK]"], show_progress=False)
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return tokenizer


def _pretokenizes_by_word(tokenizer: Tokenizer) -> bool:
    """Whether the tokenizer is the round's kind (train_tokenizer): BPE, Whitespace pre-tokenizer,
    Lowercase (or no) normalizer, nothing added around the sequence, no added token holding whitespace.
    Then a text's tokens are its whitespace-separated chunks' tokens in order, and an ASCII chunk's are
    its words' (the pre-tokenizer's `\\w+|[^\\w\\s]+`, which on ASCII Python's re splits alike)."""
    return (isinstance(tokenizer.model, models.BPE) and isinstance(tokenizer.pre_tokenizer, pre_tokenizers.Whitespace)
            and (tokenizer.normalizer is None or isinstance(tokenizer.normalizer, normalizers.Lowercase))
            and tokenizer.post_processor is None and tokenizer.truncation is None and tokenizer.padding is None
            and not any(any(c.isspace() for c in t.content) for t in tokenizer.get_added_tokens_decoder().values()))


@dataclass
class Pretokenizer:
    """Texts as their BPE tokens separated by spaces (fastText's words): `" ".join(tokenizer.encode(text).tokens)`.

    tokenizers' encode spends more on its per-character offset bookkeeping (NormalizedString
    alignments) and per-word splits than on the BPE merges, and spends it again on every repeat of a
    word. With the round's kind of tokenizer (`_pretokenizes_by_word`) each distinct chunk is tokenized
    once and remembered: an ASCII chunk as its words, each lower-cased and given to the BPE model alone
    (once per distinct word, remembered too); any other chunk, and one holding an added token such as
    `[UNK]`, by the whole tokenizer (a call's new ones in one encode, tokens assigned back by offset).
    The result is the same string. Other tokenizers encode every text whole. At most about `max_pieces`
    chunks and words are remembered (then forgotten at once): memory stays bounded on any stream."""

    tokenizer: Tokenizer
    max_pieces: int = 200_000
    _tokens: dict[str, str] = field(default_factory=dict, init=False, repr=False)  # chunk or ASCII word -> its tokens
    _by_word: bool = field(default=False, init=False, repr=False)
    _lowercase: bool = field(default=False, init=False, repr=False)
    _added: re.Pattern | None = field(default=None, init=False, repr=False)  # added tokens are matched before pre-tokenizing

    def __post_init__(self) -> None:
        self._by_word = _pretokenizes_by_word(self.tokenizer)
        self._lowercase = self.tokenizer.normalizer is not None
        added = [t.content for t in self.tokenizer.get_added_tokens_decoder().values()]
        self._added = re.compile("|".join(map(re.escape, added))) if added else None

    def __call__(self, texts: list[str]) -> list[str]:
        if not self._by_word:
            return [" ".join(encoding.tokens) for encoding in self.tokenizer.encode_batch(texts)]
        split = [[c for c in _SPACE_NOT_SEPARATOR.split(t) if c] if _SEPARATORS.search(t) else t.split() for t in texts]
        get = self._tokens.__getitem__
        lines: list[str | None] = []
        unknown: list[int] = []  # texts with a chunk not seen yet
        for i, chunks in enumerate(split):
            try:
                lines.append(" ".join(map(get, chunks)))
            except KeyError:
                lines.append(None)
                unknown.append(i)
        if unknown:
            if len(self._tokens) > self.max_pieces:
                self._tokens.clear()
            self._learn(set(chain.from_iterable(split[i] for i in unknown)).difference(self._tokens))
            for i in unknown:
                lines[i] = " ".join(map(get, split[i]))
        return lines

    def _learn(self, chunks: set[str]) -> None:
        known, bpe, added = self._tokens, self.tokenizer.model, self._added
        whole: list[str] = []
        for chunk in chunks:
            if not chunk.isascii() or (added is not None and added.search(chunk)):
                whole.append(chunk)
                continue
            words = _ASCII_WORDS.findall(chunk)
            for word in words:
                if word not in known:
                    known[word] = " ".join([t.value for t in bpe.tokenize(word.lower() if self._lowercase else word)])
            if len(words) > 1:
                known[chunk] = " ".join(map(known.__getitem__, words))
        if whole:
            self._encode_whole(whole)

    def _encode_whole(self, chunks: list[str]) -> None:
        """Each chunk's tokens by the whole tokenizer, from one encode of the chunks joined by spaces."""
        encoding = self.tokenizer.encode(" ".join(chunks))
        tokens, starts = encoding.tokens, [start for start, _ in encoding.offsets]
        at = first = 0  # chunk i spans characters [at, at + len), its tokens start at index first
        for chunk in chunks:
            at += len(chunk)
            after = bisect_left(starts, at, first)
            self._tokens[chunk] = " ".join(tokens[first:after])
            at, first = at + 1, after


@dataclass
class RoundModel:
    tokenizer: Tokenizer
    model: object  # fasttext.FastText._FastText
    model_bytes: bytes
    sha256: str
    pretokenizer: Pretokenizer | None = field(default=None, repr=False)  # the one that pretokenized the training texts remembers their chunks

    def __post_init__(self) -> None:
        if self.pretokenizer is None:
            self.pretokenizer = Pretokenizer(self.tokenizer)

    def scores(self, texts: list[str]) -> list[float]:
        """P(code) of each text."""
        lines = self.pretokenizer(texts)
        labels, probabilities = self.model.predict(lines, k=2)
        out = []
        for label_row, probability_row in zip(labels, probabilities):
            p = dict(zip(label_row, probability_row)).get(POSITIVE, 0.0)
            out.append(min(1.0, max(0.0, float(p))))
        return out


def train_round_model(positives: list[str], negatives: list[str], tokenizer_params: dict, fasttext_params: dict) -> RoundModel:
    tokenizer = train_tokenizer(positives + negatives, int(tokenizer_params["vocab_size"]), int(tokenizer_params["min_frequency"]))
    pretokenizer = Pretokenizer(tokenizer)
    lines = [f"{POSITIVE} {t}" for t in pretokenizer(positives)] + [f"{NEGATIVE} {t}" for t in pretokenizer(negatives)]
    fd, train_path = tempfile.mkstemp(prefix="codelake-recall-", suffix=".txt")
    model_path = train_path + ".bin"
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("\n".join(line.replace("\n", " ") for line in lines) + "\n")
        model = fasttext.train_supervised(train_path, thread=1, verbose=0, **fasttext_params)
        model.save_model(model_path)
        with open(model_path, "rb") as f:
            data = f.read()
    finally:
        for p in (train_path, model_path):
            if os.path.exists(p):
                os.unlink(p)
    return RoundModel(tokenizer, model, data, hashlib.sha256(data).hexdigest(), pretokenizer)
