"""Pretraining samples as segments: text to encode, and special tokens the packer inserts as ids.

File level (Qwen2.5-Coder / OpenCoder):
  plain  {text}<|endoftext|>
  PSM    <|fim_prefix|>{pre}<|fim_suffix|>{suf}<|fim_middle|>{mid}<|endoftext|>
  SPM    <|fim_suffix|>{suf}<|fim_prefix|>{pre}<|fim_middle|>{mid}<|endoftext|>   (Bavarian et al. 2022)
Repository level:
  <|repo_name|>{name}\n<|file_sep|>{path1}\n{content1}<|file_sep|>{path2}\n{content2}…<|endoftext|>
  with FIM, the last file's content becomes <|fim_prefix|>{pre}<|fim_suffix|>{suf}<|fim_middle|>{mid}.

The split points are two uniform character positions (the FIM paper's character-level split), drawn from
a generator seeded per document, so a sample is reproducible from (seed, doc id, copy).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass

Segment = str | int  # text to encode, or a special token id

PLAIN, PSM, SPM = "none", "psm", "spm"


@dataclass(frozen=True)
class SpecialIds:
    eot: int
    fim_prefix: int
    fim_middle: int
    fim_suffix: int
    repo_name: int
    file_sep: int

    @classmethod
    def from_mapping(cls, ids: dict[str, int]) -> "SpecialIds":
        return cls(
            ids["<|endoftext|>"], ids["<|fim_prefix|>"], ids["<|fim_middle|>"], ids["<|fim_suffix|>"], ids["<|repo_name|>"], ids["<|file_sep|>"]
        )


def unit_draw(*key: object) -> float:
    """A uniform number in [0, 1) fixed by the key (seed, doc id, purpose, copy, …)."""
    digest = hashlib.blake2b("\0".join(map(str, key)).encode("utf-8", "surrogateescape"), digest_size=8).digest()
    return int.from_bytes(digest, "little") / float(1 << 64)


def fim_mode(fim_rate: float, spm_rate: float, *key: object) -> str:
    if unit_draw(*key, "fim") >= fim_rate:
        return PLAIN
    return SPM if unit_draw(*key, "spm") < spm_rate else PSM


def split_points(text: str, *key: object) -> tuple[int, int]:
    rng = random.Random(unit_draw(*key, "split"))
    a, b = sorted((rng.randint(0, len(text)), rng.randint(0, len(text))))
    return a, b


def _fim_segments(text: str, mode: str, ids: SpecialIds, key: Sequence[object]) -> list[Segment]:
    a, b = split_points(text, *key)
    prefix, middle, suffix = text[:a], text[a:b], text[b:]
    if mode == PSM:
        return [ids.fim_prefix, prefix, ids.fim_suffix, suffix, ids.fim_middle, middle]
    return [ids.fim_suffix, suffix, ids.fim_prefix, prefix, ids.fim_middle, middle]


def file_sample(text: str, mode: str, ids: SpecialIds, key: Sequence[object]) -> list[Segment]:
    """One file as a sample: plain, or FIM in `mode`."""
    body = [text] if mode == PLAIN else _fim_segments(text, mode, ids, key)
    return [*body, ids.eot]


def repo_sample(repo: str, files: Sequence[tuple[str, str]], mode: str, ids: SpecialIds, key: Sequence[object]) -> list[Segment]:
    """A repository's (path, content) files as one sample; with FIM, the last file is the one to fill in.
    Returns the segments; the packer maps each file to its token span through `file_starts`."""
    segments: list[Segment] = [ids.repo_name, repo + "\n"]
    for i, (path, content) in enumerate(files):
        segments += [ids.file_sep, path + "\n"]
        last = i == len(files) - 1
        segments += _fim_segments(content, PSM if mode == SPM else mode, ids, key) if last and mode != PLAIN else [content]
    return [*segments, ids.eot]
