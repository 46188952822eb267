"""LSH band keys and the choice of bands x rows."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch.lsh import _optimal_param

from codelake.fuzzy_dedup.lsh import band_keys, lsh_threshold, optimal_bands_rows


def test_band_keys_equal_and_different():
    rng = np.random.default_rng(0)
    sig = rng.integers(0, 2**32, (200, 2048), dtype=np.uint64).astype(np.uint32)
    keys = band_keys(sig, 16, 128)
    assert keys.shape == (200, 16) and keys.dtype == np.uint64
    assert np.unique(keys).size == keys.size  # random bands: no collision, across rows and bands
    changed = sig.copy()
    changed[:, 5 * 128 + 77] ^= 1  # one value of band 5 differs by one bit
    other = band_keys(changed, 16, 128)
    assert (other[:, 5] != keys[:, 5]).all()
    assert np.array_equal(np.delete(other, 5, axis=1), np.delete(keys, 5, axis=1))
    assert np.array_equal(band_keys(sig[::-1], 16, 128), keys[::-1])  # a row's keys depend only on that row


def test_band_keys_structure_does_not_collide():
    # Swapped values inside a band, equal bands at different positions, all-equal values: all distinct keys.
    base = np.arange(8, dtype=np.uint32)
    rows = np.stack([base, base[::-1], np.roll(base, 1), np.zeros(8, np.uint32), np.full(8, 2**32 - 1, np.uint32)])
    sig = np.concatenate([rows, rows], axis=1)  # two identical bands per row
    keys = band_keys(sig, 2, 8)
    assert np.unique(keys).size == keys.size
    assert np.array_equal(band_keys(sig, 1, 8)[:, 0], keys[:, 0])  # bands beyond bands*rows are ignored


def test_band_keys_validation():
    with pytest.raises(ValueError):
        band_keys(np.zeros((2, 64), np.uint32), 9, 8)


@pytest.mark.parametrize("threshold", [0.7, 0.8, 0.85])
@pytest.mark.parametrize("num_perm", [128, 256])
def test_optimal_bands_rows_matches_datasketch(threshold, num_perm):
    assert optimal_bands_rows(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)


def test_optimal_bands_rows_weights():
    assert optimal_bands_rows(0.8, 128, 0.9, 0.1) == _optimal_param(0.8, 128, 0.9, 0.1)


def test_lsh_threshold():
    assert lsh_threshold(16, 128) == pytest.approx(0.9786, abs=1e-4)  # RefineCode's 16 x 128
    assert lsh_threshold(1, 5) == 1.0
