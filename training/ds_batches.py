"""Micro-batches for Nanotron from folders of datatrove `.ds` files.

Nanotron 0.4 has no reader for tokenized shards (its only datasets are a random-token generator and
Hugging Face `datasets` tokenized on the fly), so this adapter wraps datatrove's own
`DatatroveFolderDataset`: samples are consecutive windows of seq_len + 1 tokens, every folder's windows
one after the other, wrapping around for further epochs. Sample k of the run goes to data-parallel rank
(k // micro_batch) % dp, so a resumed job continues exactly where the checkpoint's
consumed_train_samples left off, and tensor-parallel ranks of one replica read the same samples.

`label_mask` is all ones (loss on every token: pre-training, annealing) unless the folders are read with
loss masks (`loss_on: assistant`, SFT): then label i is trained iff token i + 1 of the window is a target
in the shard's `.ds.loss_mask` (`training.loss_mask`), and windows without any target are skipped (their
masked mean would be 0 / 0) and counted in `DsFolders.summary`.
"""

from bisect import bisect_right
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from training.loss_mask import WindowTargets, read_mask, window_label_mask


class DsFolders:
    """Random access over the windows of one or more `.ds` folders."""

    def __init__(self, folders: list[str], seq_len: int, token_size: int, loss_masks: bool = False):
        from datatrove.utils.dataset import DatatroveFolderDataset

        self.seq_len = seq_len
        self.datasets = []
        for folder in folders:
            if not Path(folder).is_dir():
                raise FileNotFoundError(f"{folder}: data folder does not exist")
            # The glob is relative to the folder (datatrove resolves it there); an absolute glob matches nothing.
            self.datasets.append(
                DatatroveFolderDataset(str(folder), seq_len, filename_pattern="**/*.ds", token_size=token_size)
            )
        self.offsets = np.cumsum([0] + [len(d) for d in self.datasets])
        windows = int(self.offsets[-1])
        self.masks: list[list[np.ndarray]] | None = None  # per folder, per file: the token mask
        self.kept: np.ndarray | None = None  # with masks: the windows trained on (those with a target)
        self.summary = {"loss_on": "assistant" if loss_masks else "all", "samples": windows}
        if loss_masks:
            self._read_masks(folders)
        if len(self) == 0:
            raise ValueError(f"{folders}: no sample of seq_len + 1 = {seq_len + 1} tokens with a loss target in these .ds files")

    def _read_masks(self, folders: list[str]) -> None:
        self.masks, has_target, targets = [], [], 0
        for folder, dataset in zip(folders, self.datasets):
            self.masks.append([])
            for file in dataset.files:  # datatrove's own order, so window k of the folder is the same here
                path = Path(folder) / file.file_path
                scan = WindowTargets.scan(path, self.seq_len)
                if len(scan.has_target) != len(file):
                    raise ValueError(f"{path}: its loss mask does not cover its {len(file)} windows of {self.seq_len + 1} tokens")
                self.masks[-1].append(read_mask(path))
                has_target.append(scan.has_target)
                targets += scan.targets
        self.kept = np.flatnonzero(np.concatenate(has_target)) if has_target else np.zeros(0, np.int64)
        windows = int(self.offsets[-1])
        self.summary.update(
            samples=len(self.kept),
            samples_without_target=windows - len(self.kept),  # skipped: nothing in them is trained
            target_label_share=round(targets / max(1, len(self.kept) * self.seq_len), 4),
        )

    def __len__(self) -> int:
        return int(self.offsets[-1]) if self.kept is None else len(self.kept)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(seq_len + 1 token ids, the seq_len label mask or None for all ones)."""
        index %= len(self)  # further epochs
        if self.kept is not None:
            index = int(self.kept[index])
        which = int(np.searchsorted(self.offsets, index, side="right") - 1)
        dataset, local = self.datasets[which], index - int(self.offsets[which])
        tokens = dataset[local]["input_ids"].long()
        if self.masks is None:
            return tokens, None
        file = bisect_right(dataset.lens, local) - 1
        label_mask = window_label_mask(self.masks[which][file], local - dataset.lens[file], self.seq_len)
        return tokens, torch.from_numpy(label_mask)


def micro_batches(
    data: DsFolders,
    *,
    micro_batch: int,
    dp_rank: int,
    dp_size: int,
    consumed_samples: int,
    pp_rank: int,
    input_pp_rank: int,
    output_pp_rank: int,
) -> Iterator[dict]:
    """Nanotron micro-batches: input_ids/input_mask on the input stage, label_ids/label_mask on the output
    stage (shifted by one token), TensorPointers elsewhere."""
    from nanotron.parallel.pipeline_parallel.tensor_pointer import TensorPointer

    step = consumed_samples // (micro_batch * dp_size)  # micro-batches this replica has already trained on
    while True:
        first = (step * dp_size + dp_rank) * micro_batch
        batch = {
            "input_ids": TensorPointer(group_rank=input_pp_rank),
            "input_mask": TensorPointer(group_rank=input_pp_rank),
            "label_ids": TensorPointer(group_rank=output_pp_rank),
            "label_mask": TensorPointer(group_rank=output_pp_rank),
        }
        if pp_rank in (input_pp_rank, output_pp_rank):
            samples = [data[first + i] for i in range(micro_batch)]
            tokens = torch.stack([ids for ids, _ in samples])  # [mbs, seq_len + 1]
            ones = torch.ones(tokens.shape[0], tokens.shape[1] - 1, dtype=torch.bool)
            if pp_rank == input_pp_rank:
                batch["input_ids"], batch["input_mask"] = tokens[:, :-1], ones  # no padding: every input is real
            if pp_rank == output_pp_rank:
                label_mask = ones if samples[0][1] is None else torch.stack([mask for _, mask in samples])
                batch["label_ids"], batch["label_mask"] = tokens[:, 1:], label_mask
        yield batch
        step += 1
