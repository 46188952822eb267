"""Compile every numba kernel now (`make install` runs this), so stages load them from numba's disk cache
(`__pycache__` next to each module) instead of compiling on first use: ~2 s for fuzzy dedup's kernel,
~10 s for the filter signals' kernels.

    python -m codelake.compile_kernels
"""

from __future__ import annotations

import time


def compile_kernels() -> dict[str, float]:
    """Seconds each group of kernels took to compile (or to load, when already cached)."""
    import polars as pl

    from codelake.filtered.signals import compute_signals
    from codelake.fuzzy_dedup.oph_kernel import compile_kernel

    took = {"fuzzy_dedup": compile_kernel()}
    started = time.perf_counter()
    samples = {  # one file per kind of signal path: code with strings and comments, prose, markup, non-ASCII
        "Python": 'import os\n# comment\ndef f(x):\n    """doc"""\n    return "s" + \'t\'\n',
        "C": "/* c */\n#include <stdio.h>\nint main(void) { return 0; }\n",
        "Text": "Some prose, with words; and ÜNICODE — text.\n\nAnother line.\n",
        "HTML": "<html><body><p>hello</p></body></html>\n",
    }
    compute_signals(pl.DataFrame({"doc_id": list(samples), "language": list(samples), "text": list(samples.values())}))
    took["filter_signals"] = time.perf_counter() - started
    return took


if __name__ == "__main__":
    for group, seconds in compile_kernels().items():
        print(f"numba kernels of {group}: ready in {seconds:.1f}s")
