"""Polars' first-use state, settled on one thread before codelake runs Polars on several.

Polars 1.x sets up two pieces of process-wide state the first time they are used, without a lock, and
two threads making that first use at once fail:

* `pl.DataFrame(<list of Series>)` registers Series with its constructor's `functools.singledispatch`
  on first use; a thread dispatching at that moment is iterating the registry and raises "RuntimeError:
  dictionary changed size during iteration" (pola-rs/polars#29121; the pinned 1.44.2 still has it).
* Polars' lazy numpy proxy copies numpy's attributes into itself on first use, numpy's `_globals`
  submodule over the proxy's own `_globals`; a thread resolving the proxy at that moment fails with
  "TypeError: 'module' object does not support item assignment".

`prepare_polars_for_threads` makes both first uses once, here; thread pools that run Polars work
(codelake.parallel) and modules whose functions users call from their own threads (codelake.filtered)
call it first, on the thread that starts them.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_prepared = False


def prepare_polars_for_threads() -> None:
    """Make Polars' lazy first uses (see above) on this thread, once per process."""
    global _prepared
    if _prepared:
        return
    with _lock:
        if _prepared:
            return
        import numpy as np
        import polars as pl

        # A Series from a numpy array resolves the numpy proxy; a frame from a list of Series registers Series.
        pl.DataFrame([pl.Series("prepare", np.zeros(1))])
        _prepared = True
