"""One round's classifier: a BPE tokenizer trained on the round's seed (HF tokenizers), texts
pretokenized with it, and a fastText model (fasttext-community) trained on the pretokenized seed.

`RoundModel.to_bytes()` is what the lake stores: the tokenizer JSON and the fastText model file, with
the SHA-256 of the model file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass

import fasttext
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

POSITIVE, NEGATIVE = "__label__code", "__label__other"


def train_tokenizer(texts: list[str], vocab_size: int, min_frequency: int) -> Tokenizer:
    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=["[UNK]"], show_progress=False)
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return tokenizer


def pretokenize(tokenizer: Tokenizer, texts: list[str]) -> list[str]:
    """Each text as its BPE tokens separated by spaces: fastText's words."""
    return [" ".join(encoding.tokens) for encoding in tokenizer.encode_batch(texts)]


@dataclass
class RoundModel:
    tokenizer: Tokenizer
    model: object  # fasttext.FastText._FastText
    model_bytes: bytes
    sha256: str

    def scores(self, texts: list[str]) -> list[float]:
        """P(code) of each text."""
        lines = pretokenize(self.tokenizer, texts)
        labels, probabilities = self.model.predict(lines, k=2)
        out = []
        for label_row, probability_row in zip(labels, probabilities):
            p = dict(zip(label_row, probability_row)).get(POSITIVE, 0.0)
            out.append(min(1.0, max(0.0, float(p))))
        return out


def train_round_model(positives: list[str], negatives: list[str], tokenizer_params: dict, fasttext_params: dict) -> RoundModel:
    tokenizer = train_tokenizer(positives + negatives, int(tokenizer_params["vocab_size"]), int(tokenizer_params["min_frequency"]))
    lines = [f"{POSITIVE} {t}" for t in pretokenize(tokenizer, positives)] + [f"{NEGATIVE} {t}" for t in pretokenize(tokenizer, negatives)]
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
    return RoundModel(tokenizer, model, data, hashlib.sha256(data).hexdigest())
