"""training.ds_batches: label_mask from the SFT shards' loss masks (answers only, across packed examples,
windows without an answer skipped) and all ones for pre-training shards."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from tokenizers import Tokenizer

sys.path.insert(0, str(Path(__file__).parent))
import nanotron_helpers as helpers  # noqa: E402

from training.ds_batches import DsFolders, micro_batches  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def nanotron_importable():
    from training.nanotron_cpu import ensure_importable

    ensure_importable()  # micro_batches builds Nanotron TensorPointers


def answer_mask_by_scanning(ids: np.ndarray, tokenizer: Tokenizer) -> np.ndarray:
    """The reference, from the token stream alone (as TRL's completion-only collator finds responses): every
    token after `<|im_start|>assistant\\n` up to and including the next `<|im_end|>`."""
    im_start, im_end = tokenizer.token_to_id("<|im_start|>"), tokenizer.token_to_id("<|im_end|>")
    header = [im_start, *tokenizer.encode("assistant\n", add_special_tokens=False).ids]
    mask = np.zeros(len(ids), np.uint8)
    i = 0
    while i < len(ids):
        if ids[i : i + len(header)].tolist() == header:
            i += len(header)
            while ids[i] != im_end:
                mask[i] = 1
                i += 1
            mask[i] = 1
        i += 1
    return mask


def shard_stream() -> tuple[Tokenizer, np.ndarray, np.ndarray]:
    tokenizer_path, shards = helpers.sft_fixture()
    files = sorted(shards.glob("*.ds"))
    ids = np.concatenate([np.fromfile(f, dtype="<u2") for f in files])
    mask = np.concatenate([np.fromfile(str(f) + ".loss_mask", dtype=np.uint8) for f in files])
    return Tokenizer.from_file(str(tokenizer_path)), ids, mask


def batches(data: DsFolders, count: int, micro_batch: int = 4) -> list[dict]:
    stream = micro_batches(data, micro_batch=micro_batch, dp_rank=0, dp_size=1, consumed_samples=0, pp_rank=0,
                           input_pp_rank=0, output_pp_rank=0)
    return [next(stream) for _ in range(count)]


def test_the_shard_mask_is_the_answers_found_in_the_token_stream():
    tokenizer, ids, mask = shard_stream()
    assert mask.tolist() == answer_mask_by_scanning(ids, tokenizer).tolist()
    assert 0.2 < mask.mean() < 0.6  # answers and prompts both present


def test_packed_windows_train_the_answers_of_every_example_they_cross():
    tokenizer, ids, mask = shard_stream()
    seq_len = 64  # every window holds some answer at this length: none is skipped
    eot, im_start, im_end = (tokenizer.token_to_id(t) for t in ("<|endoftext|>", "<|im_start|>", "<|im_end|>"))
    _, shards = helpers.sft_fixture()
    data = DsFolders([str(shards)], seq_len, token_size=2, loss_masks=True)
    crossings, answers = 0, 0
    for window, batch in enumerate(batches(data, 6)):
        for row in range(4):
            start = (window * 4 + row) * (seq_len + 1)
            tokens = ids[start : start + seq_len + 1]
            assert batch["input_ids"][row].tolist() == tokens[:-1].tolist()
            assert batch["label_ids"][row].tolist() == tokens[1:].tolist()
            label_mask = batch["label_mask"][row]
            assert label_mask.dtype == torch.bool and label_mask.tolist() == (mask[start + 1 : start + seq_len + 1] == 1).tolist()
            assert batch["input_mask"][row].all()  # attention sees the whole packed window
            for end in np.flatnonzero(tokens[:-1] == eot):  # an example ends here, the next starts after it
                # ... <|im_end|> \n <|endoftext|> <|im_start|>: label j predicts token j + 1
                assert tokens[end + 1] == im_start and not label_mask[end]  # the next example's start: untrained
                if end >= 3:  # the whole tail of the previous example is in this window
                    assert not label_mask[end - 1] and not label_mask[end - 2]  # the end of text and the newline: untrained
                    assert tokens[end - 2] == im_end and label_mask[end - 3]  # the answer's end of turn: trained
                    crossings += 1
            trained = tokenizer.decode(batch["label_ids"][row][label_mask].tolist(), skip_special_tokens=False)
            assert not any(t in trained for t in ("<|im_start|>", "<|endoftext|>", "Write", "assistant", "coding"))
            answers += trained.count("<|im_end|>")
    assert crossings > 5 and answers > 5
    assert data.summary == {"loss_on": "assistant", "samples": len(ids) // (seq_len + 1), "samples_without_target": 0,
                            "target_label_share": pytest.approx(mask[: len(data) * (seq_len + 1)].reshape(-1, seq_len + 1)[:, 1:].mean(), abs=1e-4)}


def test_windows_without_an_answer_are_skipped_and_counted():
    _, ids, mask = shard_stream()
    seq_len = 12
    _, shards = helpers.sft_fixture()
    data = DsFolders([str(shards)], seq_len, token_size=2, loss_masks=True)
    windows = len(ids) // (seq_len + 1)
    has_answer = mask[: windows * (seq_len + 1)].reshape(windows, seq_len + 1)[:, 1:].any(axis=1)
    kept = np.flatnonzero(has_answer)
    assert 0 < len(kept) < windows
    assert len(data) == len(kept) and data.summary["samples_without_target"] == windows - len(kept)
    seen = batches(data, 5)
    for k, batch in enumerate(seen):
        for row in range(4):
            start = int(kept[k * 4 + row]) * (seq_len + 1)
            assert batch["label_ids"][row].tolist() == ids[start + 1 : start + seq_len + 1].tolist()
            assert batch["label_mask"][row].any()  # never a 0 / 0 masked mean


def test_pretraining_shards_train_every_token():
    _, data_folder = helpers.fixture_data()
    data = DsFolders([str(data_folder)], 64, token_size=2)
    batch = batches(data, 1)[0]
    assert batch["label_mask"].shape == (4, 64) and batch["label_mask"].all()
    assert data.summary == {"loss_on": "all", "samples": len(data)}
    with pytest.raises(FileNotFoundError):  # no mask files beside pre-training shards
        DsFolders([str(data_folder)], 64, token_size=2, loss_masks=True)
