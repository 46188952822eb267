"""LSH banding over MinHash signatures: one 64-bit key per band, and datasketch's choice of bands x rows."""

from __future__ import annotations

import numpy as np

from codelake.fuzzy_dedup.shingles import fmix64

_U64 = np.uint64
_ROW_MUL = 0x9E3779B97F4A7C15


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint64: a hash of each band's `rows` consecutive values (band b = slots b*rows .. b*rows+rows-1).

    Equal bands give equal keys; bands differing anywhere collide with probability ~2^-64 (each value is
    avalanched with its position in the band, the band's index is mixed in, so equal values in different
    bands give different keys and keys of all bands can share one table).
    """
    n, num_perm = signatures.shape
    if bands < 1 or rows < 1 or bands * rows > num_perm:
        raise ValueError(f"bands * rows = {bands}*{rows} must be in 1..num_perm = {num_perm}")
    values = signatures[:, : bands * rows].astype(np.uint64).reshape(n, bands, rows)
    pos = np.array([(_ROW_MUL * (2 * r + 1)) % (1 << 64) for r in range(rows)], dtype=np.uint64)
    mixed = fmix64(values * pos + np.arange(rows, dtype=np.uint64))
    # A sum of avalanched (position, value) terms: a change in any one value changes the key.
    keys = mixed.sum(axis=2, dtype=np.uint64) + np.arange(bands, dtype=np.uint64) * _U64(0xD6E8FEB86659FD93)
    return fmix64(keys)


def lsh_threshold(bands: int, rows: int) -> float:
    """The Jaccard similarity where the candidate probability 1 - (1 - s^r)^b rises steepest: (1/b)^(1/r)."""
    return (1.0 / bands) ** (1.0 / rows)


def _false_positive(threshold: float, b: int, r: int) -> float:
    from scipy.integrate import quad  # only presets given as a threshold need it; scipy is slow to import

    return quad(lambda s: 1 - (1 - s ** float(r)) ** float(b), 0.0, threshold)[0]


def _false_negative(threshold: float, b: int, r: int) -> float:
    from scipy.integrate import quad

    return quad(lambda s: 1 - (1 - (1 - s ** float(r)) ** float(b)), threshold, 1.0)[0]


def optimal_bands_rows(threshold: float, num_perm: int, fp_weight: float = 0.5, fn_weight: float = 0.5) -> tuple[int, int]:
    """(bands, rows) minimizing the weighted false positive + false negative areas, as datasketch's _optimal_param."""
    best, opt = float("inf"), (0, 0)
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            error = _false_positive(threshold, b, r) * fp_weight + _false_negative(threshold, b, r) * fn_weight
            if error < best:
                best, opt = error, (b, r)
    return opt
