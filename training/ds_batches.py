"""Micro-batches for Nanotron from folders of datatrove `.ds` files.

Nanotron 0.4 has no reader for tokenized shards (its only datasets are a random-token generator and
Hugging Face `datasets` tokenized on the fly), so this adapter wraps datatrove's own
`DatatroveFolderDataset`: samples are consecutive windows of seq_len + 1 tokens, every folder's windows
one after the other, wrapping around for further epochs. Sample k of the run goes to data-parallel rank
(k // micro_batch) % dp, so a resumed job continues exactly where the checkpoint's
consumed_train_samples left off, and tensor-parallel ranks of one replica read the same samples.
"""

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch


class DsFolders:
    """Random access over the windows of one or more `.ds` folders."""

    def __init__(self, folders: list[str], seq_len: int, token_size: int):
        from datatrove.utils.dataset import DatatroveFolderDataset

        self.datasets = []
        for folder in folders:
            if not Path(folder).is_dir():
                raise FileNotFoundError(f"{folder}: data folder does not exist")
            # The glob is relative to the folder (datatrove resolves it there); an absolute glob matches nothing.
            self.datasets.append(
                DatatroveFolderDataset(str(folder), seq_len, filename_pattern="**/*.ds", token_size=token_size)
            )
        self.offsets = np.cumsum([0] + [len(d) for d in self.datasets])
        if self.offsets[-1] == 0:
            raise ValueError(f"{folders}: no sample of seq_len + 1 = {seq_len + 1} tokens in these .ds files")

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def __getitem__(self, index: int) -> torch.Tensor:
        index %= len(self)  # further epochs
        which = int(np.searchsorted(self.offsets, index, side="right") - 1)
        return self.datasets[which][index - int(self.offsets[which])]["input_ids"].long()


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
            tokens = torch.stack([data[first + i] for i in range(micro_batch)])  # [mbs, seq_len + 1]
            mask = torch.ones(tokens.shape[0], tokens.shape[1] - 1, dtype=torch.bool)
            if pp_rank == input_pp_rank:
                batch["input_ids"], batch["input_mask"] = tokens[:, :-1], mask
            if pp_rank == output_pp_rank:
                batch["label_ids"], batch["label_mask"] = tokens[:, 1:], mask
        yield batch
        step += 1
