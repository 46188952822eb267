"""A distributed executor without a cluster, for tests: what a Ray task receives and returns, in this process."""

from __future__ import annotations

import pickle


class ShippingExecutor:
    """Like RayExecutor without a cluster: every function, batch and output makes a pickle round trip, in
    order; given an output, the "task" writes its rows itself."""

    name = "shipping"
    distributed = True

    def __init__(self):
        self.batches = 0

    def map(self, fn, items, workers=2, threads=False, output=None):
        for context, argument in items:
            self.batches += 1
            result = pickle.loads(pickle.dumps(fn))(pickle.loads(pickle.dumps(argument)))
            yield context, result if output is None else pickle.loads(pickle.dumps(output)).written_by_worker(result)
