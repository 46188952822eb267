"""Encode samples (text segments + special-token ids) and pack them into datatrove `.ds` shards.

The files are written by datatrove's own `TokenizedFile` (the format Nanotron's Nanoset and datatrove's
`DatatroveFolderDataset` read): `NNNNN.ds` holds little-endian token ids (uint16 below 65,536 ids, else
uint32), `NNNNN.ds.index` the uint64 cumulative document ends, `NNNNN.ds.metadata` the tokenizer and the
token count. Every text segment of a batch goes through ONE `encode_batch_fast` call (Rust threads);
the packer only concatenates ids, so packing costs little beyond tokenizing. With `loss_masks`, each file
gets a `NNNNN.ds.loss_mask` beside it (`training.loss_mask`: one byte per token, 1 = a loss target).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from datatrove.pipeline.tokens.tokenizer import TokenizedFile
from tokenizers import Tokenizer

from training.fim import Segment
from training.loss_mask import mask_path


@dataclass(frozen=True)
class EncodedSample:
    ids: np.ndarray  # the sample's token ids, special tokens included
    segment_starts: np.ndarray  # token offset of each segment within `ids`
    truncated: bool


def encode_samples(tokenizer: Tokenizer, samples: Sequence[Sequence[Segment]], max_tokens: int, eot: int) -> list[EncodedSample]:
    """Encode every text segment of every sample in one batch call, then assemble each sample's ids.
    A sample longer than `max_tokens` is cut to `max_tokens - 1` ids plus the end-of-text id."""
    texts = [s for sample in samples for s in sample if isinstance(s, str)]
    encoded = iter(tokenizer.encode_batch_fast(texts, add_special_tokens=False)) if texts else iter(())
    out = []
    for sample in samples:
        pieces = [np.asarray(next(encoded).ids, dtype=np.uint32) if isinstance(s, str) else np.array([s], dtype=np.uint32) for s in sample]
        lengths = np.fromiter((len(p) for p in pieces), dtype=np.int64, count=len(pieces))
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        ids = np.concatenate(pieces) if pieces else np.zeros(0, np.uint32)
        truncated = len(ids) > max_tokens
        if truncated:
            ids = np.concatenate((ids[: max_tokens - 1], np.array([eot], np.uint32)))
        out.append(EncodedSample(ids, starts, truncated))
    return out


def token_masks(samples: Sequence[EncodedSample], trained: Sequence[Sequence[bool]]) -> np.ndarray:
    """The samples' token masks end to end: 1 on the tokens of the segments flagged in `trained` (one flag
    per segment), else 0. In a cut sample the segments past the cut have no tokens and the end-of-text put
    last is never a target. One np.repeat for the whole batch (a per-sample loop cost ~15% of packing)."""
    sizes = np.fromiter((len(s.ids) for s in samples), dtype=np.int64, count=len(samples))
    ends = np.cumsum(sizes)
    offsets = ends - sizes
    starts = np.concatenate([np.minimum(s.segment_starts, len(s.ids)) + o for s, o in zip(samples, offsets)] + [np.zeros(0, np.int64)])
    # a segment ends where the next one starts, the last one of a sample where the sample ends
    last = np.cumsum([len(s.segment_starts) for s in samples]) - 1
    next_starts = np.append(starts[1:], 0)
    next_starts[last] = ends
    flags = np.fromiter((f for flags in trained for f in flags), dtype=np.uint8, count=len(starts))
    mask = np.repeat(flags, next_starts - starts)
    cut = np.fromiter((s.truncated for s in samples), dtype=bool, count=len(samples))
    mask[ends[cut] - 1] = 0
    return mask


@dataclass(frozen=True)
class Placement:
    shard: str  # file name of the .ds file within the shard folder
    document: int  # index of the document within that file
    token_offset: int  # first token of the document within that file
    tokens: int


class ShardWriter:
    """Appends documents to `NNNNN.ds` files in `folder`, starting a new file past `shard_tokens`."""

    def __init__(self, folder: Path, token_size: int, shard_tokens: int, tokenizer_name: str, loss_masks: bool = False):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.token_size = token_size
        self.dtype = np.dtype("<u2") if token_size == 2 else np.dtype("<u4")
        self.shard_tokens = shard_tokens
        self.tokenizer_name = tokenizer_name
        self.files: list[str] = []
        self.total_tokens = 0
        self.loss_masks = loss_masks
        self._file: TokenizedFile | None = None
        self._mask_file = None
        self._documents = 0
        self._tokens = 0

    def _open_next(self) -> None:
        self.close()
        name = f"{len(self.files):05d}.ds"
        self._file = TokenizedFile(
            str(self.folder), name, save_index=True, tokenizer_name_or_path=self.tokenizer_name, save_final_metadata=True, token_size=self.token_size
        )
        if self.loss_masks:
            self._mask_file = open(mask_path(self.folder / name), "wb")
        self.files.append(name)
        self._documents = self._tokens = 0

    def write(self, documents: Sequence[np.ndarray], masks: Sequence[np.ndarray] | None = None) -> list[Placement]:
        """Append documents in order (one write per shard file touched) and say where each landed; with
        `loss_masks`, `masks` gives each document's token mask (same length as its ids)."""
        if self.loss_masks != (masks is not None):
            raise ValueError("a writer with loss_masks takes one mask per document, and only such a writer does")
        if masks is not None and [len(m) for m in masks] != [len(d) for d in documents]:
            raise ValueError("every loss mask must have its document's token count")
        placements: list[Placement] = []
        pending: list[np.ndarray] = []
        pending_masks: list[np.ndarray] = []

        def flush() -> None:
            if pending:
                ends = np.cumsum([len(d) for d in pending]).tolist()
                self._file.write_bytes(np.concatenate(pending).astype(self.dtype, copy=False).tobytes(), doc_ends=ends)
                if self._mask_file is not None:
                    self._mask_file.write(np.concatenate(pending_masks).astype(np.uint8, copy=False).tobytes())
                pending.clear()
                pending_masks.clear()

        for index, ids in enumerate(documents):
            if self._file is None or (self._tokens and self._tokens + len(ids) > self.shard_tokens):
                flush()
                self._open_next()
            placements.append(Placement(self.files[-1], self._documents, self._tokens, len(ids)))
            pending.append(ids)
            if masks is not None:
                pending_masks.append(masks[index])
            self._documents += 1
            self._tokens += len(ids)
            self.total_tokens += len(ids)
        flush()
        return placements

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._mask_file is not None:
            self._mask_file.close()
            self._mask_file = None
