"""Which tokens of a packed shard the loss is taken on: a `NNNNN.ds.loss_mask` file beside each `.ds` file.

One byte per token, in the order of the `.ds` file, so datatrove's windows of seq_len + 1 tokens cut both
files at the same offsets: 1 where the token is a target (in SFT shards, an assistant answer and its
`<|im_end|>`), 0 elsewhere (system and user turns, role headers, the end-of-text token). Nanotron's label
at position i is token i + 1, so a window's label mask is its token mask without the first token. Packed
examples need nothing more: the label that crosses into the next example is that example's first token
(`<|im_start|>`), never a target.

A window with no target at all would make Nanotron's masked mean 0 / 0 (NaN); such windows are left out
of training and counted (`WindowTargets`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SUFFIX = ".loss_mask"
LOSS_ON = ("all", "assistant")  # every token / the assistant's answers only (needs the mask files)
_CHUNK_WINDOWS = 1 << 14  # windows read at once when scanning a mask file (bounded memory)


def mask_path(ds_path: str | Path) -> Path:
    return Path(str(ds_path) + SUFFIX)


def missing_masks(folders: Iterable[str | Path], token_size: int) -> list[str]:
    """The `.ds` files under `folders` without a mask file of the same token count."""
    missing = []
    for folder in folders:
        for ds in sorted(Path(folder).rglob("*.ds")):
            mask = mask_path(ds)
            if not mask.exists() or mask.stat().st_size * token_size != ds.stat().st_size:
                missing.append(str(ds))
    return missing


def read_mask(ds_path: str | Path) -> np.ndarray:
    path = mask_path(ds_path)
    if path.stat().st_size == 0:
        return np.zeros(0, np.uint8)
    return np.memmap(path, dtype=np.uint8, mode="r")


def window_label_mask(mask: np.ndarray, window: int, seq_len: int) -> np.ndarray:
    """The label mask (seq_len booleans) of window `window`: its tokens 1..seq_len that are targets."""
    start = window * (seq_len + 1)
    return np.asarray(mask[start + 1 : start + seq_len + 1]) != 0


@dataclass(frozen=True)
class WindowTargets:
    """Per window of one `.ds` file: whether any of its labels is a target, and how many are."""

    has_target: np.ndarray  # bool per window
    targets: int  # target labels over all windows of the file

    @classmethod
    def scan(cls, ds_path: str | Path, seq_len: int) -> "WindowTargets":
        mask = read_mask(ds_path)
        windows = len(mask) // (seq_len + 1)
        has_target = np.zeros(windows, dtype=bool)
        targets = 0
        for first in range(0, windows, _CHUNK_WINDOWS):
            last = min(windows, first + _CHUNK_WINDOWS)
            labels = np.asarray(mask[first * (seq_len + 1) : last * (seq_len + 1)]).reshape(last - first, seq_len + 1)[:, 1:] != 0
            has_target[first:last] = labels.any(axis=1)
            targets += int(labels.sum())
        return cls(has_target, targets)


def trainable_windows(folders: Iterable[str | Path], seq_len: int) -> int:
    """Windows of seq_len + 1 tokens with at least one target label, over every `.ds` file of `folders`."""
    return sum(int(WindowTargets.scan(ds, seq_len).has_target.sum()) for folder in folders for ds in Path(folder).rglob("*.ds"))
