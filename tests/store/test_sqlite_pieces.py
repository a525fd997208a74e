"""Store.iter_losses: a run's losses read a bounded piece at a time."""

from __future__ import annotations

import numpy as np
import pytest

from tests.web.stored import store_run


@pytest.mark.parametrize("batch", [1, 7, 1000, 5000])
def test_iter_losses_pieces_hold_at_most_points(store, batch):
    run_id = store_run(store, 3000, batch=batch)
    pieces = list(store.iter_losses(run_id, points=256))
    assert max(len(steps) for steps, _, _ in pieces) <= 256
    steps = np.concatenate([p[0] for p in pieces])
    assert steps.tolist() == list(range(3000))
    assert np.concatenate([p[1] for p in pieces]).tolist() == [s + 0.5 for s in range(3000)]


@pytest.mark.parametrize("after", [-1, 0, 6, 999, 2998, 2999, 2**63 - 1])
def test_iter_losses_starts_after_any_step(store, after):
    run_id = store_run(store, 3000, batch=7)
    steps = [s for piece in store.iter_losses(run_id, after, points=100) for s in piece[0]]
    assert steps == list(range(after + 1, 3000))


def test_read_losses_limit_takes_the_first_steps(store):
    run_id = store_run(store, 3000, batch=7)
    steps, loss, times = store.read_losses(run_id, after=10, limit=500)
    assert steps.tolist() == list(range(11, 511)) and len(loss) == len(times) == 500
