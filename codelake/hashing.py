"""64-bit mixing functions shared by every hashing path: numpy arrays and numba kernels run the same code.

`fmix64` is MurmurHash3's 64-bit finalizer, a fast avalanching bijection. On a numpy uint64 array it works
in place (pass a fresh array); `fmix64_jit` is the same function compiled for numba kernels on scalars.
Numba's disk cache does not notice edits to a function another module's kernel inlines: after changing
this file, clear the `__pycache__/*.nb*` files of the kernels (`make install` recompiles them).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_U64 = np.uint64


def splitmix64(x: int) -> int:
    """One 64-bit value derived from an integer (seeds, table entries)."""
    x = (x + 0x9E3779B97F4A7C15) % (1 << 64)
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) % (1 << 64)
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) % (1 << 64)
    return x ^ (x >> 31)


def fmix64(h):
    h ^= h >> _U64(33)
    h *= _U64(0xFF51AFD7ED558CCD)
    h ^= h >> _U64(33)
    h *= _U64(0xC4CEB9FE1A85EC53)
    h ^= h >> _U64(33)
    return h


fmix64_jit = njit(cache=True, nogil=True, inline="always")(fmix64)
