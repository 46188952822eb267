"""LSH banding over MinHash signatures: one 64-bit key per band, and datasketch's choice of bands x rows."""

from __future__ import annotations

import numpy as np

from codelake.hashing import fmix64

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


def _pairs(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (bands, rows) with bands * rows <= num_perm, in datasketch's loop order (bands, then rows)."""
    bands = np.arange(1, num_perm + 1)
    rows_per_band = num_perm // bands  # rows 1..num_perm // b for each b
    b = np.repeat(bands, rows_per_band)
    first = np.repeat(np.cumsum(rows_per_band) - rows_per_band, rows_per_band)  # index of each b's rows = 1
    r = np.arange(b.size) - first + 1
    return b.astype(np.float64), r.astype(np.float64)


def _candidate_area(lo: float, hi: float, b: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Integral over s in [lo, hi] of the candidate probability 1 - (1 - s^r)^b, for each (b, r).

    The integrand is a polynomial of degree b*r, so Gauss-Legendre with degree/2 + 1 nodes is exact up to
    rounding: the same areas datasketch gets from scipy's quad, for all pairs at once."""
    nodes, weights = np.polynomial.legendre.leggauss(int((b * r).max()) // 2 + 1)
    s = (hi - lo) / 2 * nodes + (hi + lo) / 2
    out = np.empty(b.size)
    for lo_i in range(0, b.size, 4096):  # blocks bound the (pairs, nodes) matrix
        bb, rr = b[lo_i : lo_i + 4096, None], r[lo_i : lo_i + 4096, None]
        out[lo_i : lo_i + 4096] = (1 - (1 - s[None, :] ** rr) ** bb) @ weights * (hi - lo) / 2
    return out


def optimal_bands_rows(threshold: float, num_perm: int, fp_weight: float = 0.5, fn_weight: float = 0.5) -> tuple[int, int]:
    """(bands, rows) minimizing the weighted false positive + false negative areas, as datasketch's _optimal_param."""
    b, r = _pairs(num_perm)
    false_positive = _candidate_area(0.0, threshold, b, r)
    false_negative = (1.0 - threshold) - _candidate_area(threshold, 1.0, b, r)
    best = int(np.argmin(false_positive * fp_weight + false_negative * fn_weight))  # first minimum, as datasketch
    return int(b[best]), int(r[best])
