"""Packing: one batch encode, ids assembled in order with special tokens, truncation, shard rotation,
and files datatrove reads back."""

from __future__ import annotations

import numpy as np
import pytest
from datatrove.utils.dataset import DatatroveFileDataset

from training.packing import ShardWriter, encode_samples, token_masks
from training.tokenizer import train_bpe

TEXTS = ["def f(x):\n    return x\n" * 5, "print('hello')\n" * 3, "class A:\n    pass\n"]


def _tokenizer():
    tokenizer = train_bpe(TEXTS * 20, 400, ["<|endoftext|>", "<|fim_prefix|>"])
    tokenizer.encode_special_tokens = True
    return tokenizer


def test_samples_encode_like_their_segments_joined():
    tok = _tokenizer()
    samples = [[TEXTS[0], 0], [1, TEXTS[1], 0]]
    encoded = encode_samples(tok, samples, max_tokens=10_000, eot=0)
    expected0 = tok.encode(TEXTS[0]).ids + [0]
    assert encoded[0].ids.tolist() == expected0 and not encoded[0].truncated
    assert encoded[1].ids.tolist() == [1, *tok.encode(TEXTS[1]).ids, 0]
    assert encoded[1].segment_starts.tolist() == [0, 1, 1 + len(tok.encode(TEXTS[1]).ids)]


def test_long_samples_are_cut_and_keep_the_end_token():
    tok = _tokenizer()
    encoded = encode_samples(tok, [[TEXTS[0] * 20, 0]], max_tokens=16, eot=0)[0]
    assert len(encoded.ids) == 16 and encoded.ids[-1] == 0 and encoded.truncated


def test_shards_rotate_and_read_back(tmp_path):
    writer = ShardWriter(tmp_path, token_size=2, shard_tokens=100, tokenizer_name="t")
    docs = [np.arange(i * 10, i * 10 + 30, dtype=np.uint32) for i in range(10)]
    placements = writer.write(docs[:4]) + writer.write(docs[4:])
    writer.close()
    assert writer.files == ["00000.ds", "00001.ds", "00002.ds", "00003.ds"] and writer.total_tokens == 300
    for doc, place in zip(docs, placements):
        data = np.fromfile(tmp_path / place.shard, dtype="<u2")
        assert data[place.token_offset : place.token_offset + place.tokens].tolist() == doc.tolist()
    ends = np.fromfile(tmp_path / "00000.ds.index", dtype="<u8")
    assert ends.tolist() == [30, 60, 90]
    dataset = DatatroveFileDataset(str(tmp_path / "00000.ds"), seq_len=9, token_size=2)
    assert len(dataset) == 9 and dataset[1]["input_ids"].tolist() == list(range(10, 20))
    assert (tmp_path / "00000.ds.metadata").read_text().splitlines()[:2] == ["t|2", "90"]


def test_loss_masks_are_written_beside_each_shard_token_for_token(tmp_path):
    writer = ShardWriter(tmp_path, token_size=2, shard_tokens=50, tokenizer_name="t", loss_masks=True)
    docs = [np.arange(30, dtype=np.uint32) + i for i in range(3)]
    masks = [(np.arange(30) % (i + 2) == 0).astype(np.uint8) for i in range(3)]
    placements = writer.write(docs, masks)
    writer.close()
    assert writer.files == ["00000.ds", "00001.ds", "00002.ds"]
    for mask, place in zip(masks, placements):
        written = np.fromfile(tmp_path / (place.shard + ".loss_mask"), dtype=np.uint8)
        assert len(written) * 2 == (tmp_path / place.shard).stat().st_size
        assert written[place.token_offset : place.token_offset + place.tokens].tolist() == mask.tolist()
    with pytest.raises(ValueError, match="token count"):
        ShardWriter(tmp_path / "b", 2, 50, "t", loss_masks=True).write(docs, [m[:-1] for m in masks])
    with pytest.raises(ValueError, match="one mask per document"):
        ShardWriter(tmp_path / "c", 2, 50, "t").write(docs, masks)


def test_token_masks_follow_the_segments_and_a_cut_sample_ends_untrained():
    tok = _tokenizer()
    sample = [1, TEXTS[1], TEXTS[2], 0]
    n1, n2 = len(tok.encode(TEXTS[1]).ids), len(tok.encode(TEXTS[2]).ids)
    flags = [False, False, True, False]
    full = encode_samples(tok, [sample], max_tokens=10_000, eot=0)
    assert token_masks(full, [flags]).tolist() == [0] * (1 + n1) + [1] * n2 + [0]
    cut = encode_samples(tok, [sample], max_tokens=1 + n1 + 3, eot=0)
    assert token_masks(cut, [flags]).tolist() == [0] * (1 + n1) + [1, 1, 0]
    # A batch: each sample's mask, end to end, the same as each alone (cut ones included, empty segments too).
    batch = [sample, [TEXTS[0], 0], [1, "", TEXTS[2], 0], sample]
    batch_flags = [flags, [True, False], [True, True, True, False], [True, True, False, True]]
    encoded = encode_samples(tok, batch, max_tokens=1 + n1 + 3, eot=0)
    alone = [token_masks([e], [f]) for e, f in zip(encoded, batch_flags)]
    assert token_masks(encoded, batch_flags).tolist() == np.concatenate(alone).tolist()
    assert alone[3][-1] == 0 and alone[3][: 1 + n1].tolist() == [1] * (1 + n1)  # cut: the end of text is untrained
