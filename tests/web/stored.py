"""Finished runs written straight into a store, as the engine writes them: no training."""

from __future__ import annotations

import numpy as np

from server.store.sqlite import Store


def store_run(store: Store, steps: int, batch: int = 1000) -> int:
    """A completed run of `steps` losses (loss k is k + 0.5, time k / 1000) in batches."""
    run_id = store.create_run(
        {"variant": "tensors", "config": {}, "device": "cpu", "status": "completed",
         "iteration": steps, "created_at": 0.0}
    )  # fmt: skip
    loss = np.arange(steps) + 0.5
    times = np.arange(steps) / 1000
    for start in range(0, steps, batch):
        end = start + batch
        store.append_losses(run_id, start, loss[start:end].tobytes(), times[start:end].tobytes())
    store.flush()
    return run_id
