"""The tokenizer: byte-level BPE trained with HF `tokenizers`, or an existing tokenizer.json, always
carrying the special tokens the samples are built with (document end, FIM, repository-level, chat).

Text from the corpus is encoded with `encode_special_tokens = True`: a file that happens to contain the
string "<|endoftext|>" is tokenized as text, never as the control token; special tokens reach a sample
only as ids the packer inserts itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from codelake.rules import RuleFileError, load_rule_file, require
from codelake.settings import RULES_DIR

TOKENIZER_RULES = RULES_DIR / "training" / "tokenizer.yaml"
END_OF_TEXT = "<|endoftext|>"
REQUIRED_SPECIAL_TOKENS = (
    END_OF_TEXT,
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|fim_pad|>",
    "<|repo_name|>",
    "<|file_sep|>",
)


@dataclass(frozen=True)
class TokenizerRules:
    vocab_size: int
    min_frequency: int
    special_tokens: tuple[str, ...]
    max_documents: int
    max_bytes_per_document: int
    sample_seed: int
    path: str | None

    @classmethod
    def load(cls, path: str | Path = TOKENIZER_RULES) -> "TokenizerRules":
        data = load_rule_file(path)
        sample = require(data, "sample", dict, path)
        special = tuple(require(data, "special_tokens", list, path))
        missing = [t for t in REQUIRED_SPECIAL_TOKENS if t not in special]
        if missing:
            raise RuleFileError(f"{path}: special_tokens lacks {missing} (the packer needs them)")
        vocab_size = require(data, "vocab_size", int, path)
        if vocab_size < 256 + len(special):
            raise RuleFileError(f"{path}: vocab_size {vocab_size} is below the 256 bytes plus {len(special)} special tokens")
        return cls(
            vocab_size=vocab_size,
            min_frequency=require(data, "min_frequency", int, path),
            special_tokens=special,
            max_documents=require(sample, "max_documents", int, path),
            max_bytes_per_document=require(sample, "max_bytes_per_document", int, path),
            sample_seed=require(sample, "seed", int, path),
            path=data.get("path"),
        )


def train_bpe(texts: Iterable[str], vocab_size: int, special_tokens: Iterable[str], min_frequency: int = 2) -> Tokenizer:
    """Byte-level BPE (GPT-2/Qwen style: every byte is in the alphabet, so no text is out of vocabulary)."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(special_tokens),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    tokenizer.encode_special_tokens = True
    return tokenizer


def load_tokenizer(path: str | Path, special_tokens: Iterable[str] = REQUIRED_SPECIAL_TOKENS) -> tuple[Tokenizer, list[str]]:
    """An existing tokenizer.json, with any of `special_tokens` it lacks added. Returns (tokenizer, added)."""
    path = Path(path)
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as err:  # tokenizers raises a bare Exception for unreadable or malformed files
        raise ValueError(f"{path}: not a usable tokenizer.json: {err}") from err
    added = [t for t in special_tokens if tokenizer.token_to_id(t) is None]
    if added:
        tokenizer.add_special_tokens(added)
    tokenizer.encode_special_tokens = True
    return tokenizer, added


def special_token_ids(tokenizer: Tokenizer) -> dict[str, int]:
    ids = {t: tokenizer.token_to_id(t) for t in REQUIRED_SPECIAL_TOKENS}
    missing = [t for t, i in ids.items() if i is None]
    if missing:
        raise ValueError(f"tokenizer lacks special tokens {missing}")
    return ids


def tokenizer_json(tokenizer: Tokenizer) -> str:
    """Canonical JSON (sorted keys) so the same tokenizer always hashes the same."""
    return json.dumps(json.loads(tokenizer.to_str()), sort_keys=True, ensure_ascii=False)


def tokenizer_hash(tokenizer: Tokenizer) -> str:
    return hashlib.sha256(tokenizer_json(tokenizer).encode()).hexdigest()


def token_size(vocab_size: int) -> int:
    """Bytes per token id in datatrove's .ds files: uint16 below 65,536 ids, uint32 above."""
    return 2 if vocab_size <= 65536 else 4
