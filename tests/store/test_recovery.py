"""The store's recovery at open: a run a dead server left going ends when its last stored loss
was taken; one that never stored a loss, when the store last heard from that server."""

from __future__ import annotations

import numpy as np
import pytest

from server.store.sqlite import Store

COMMON = {"variant": "tensors", "config": {}, "device": "cpu", "created_at": 10.0}


@pytest.fixture
def reopened(tmp_path):
    """A store left by a crash: a run with three losses, a queued one, a finished one."""
    store = Store(tmp_path)
    store.open()
    ids = {
        "running": store.create_run({**COMMON, "status": "running", "started_at": 100.0}),
        "queued": store.create_run({**COMMON, "status": "queued"}),
        "done": store.create_run({**COMMON, "status": "completed", "finished_at": 50.0}),
    }
    times = np.array([0.5, 1.0, 2.5])  # seconds since the run started
    store.append_losses(ids["running"], 0, np.ones(3).tobytes(), times.tobytes())
    store.close()  # no manager shutdown: as if the process died
    store = Store(tmp_path)
    store.open()
    yield store, ids
    store.close()


def test_recovery_ends_a_cut_run_at_its_last_loss(reopened):
    store, ids = reopened
    assert store.get_run(ids["running"])["finished_at"] == 102.5


def test_recovery_ends_a_queued_run_when_the_store_last_heard_from_the_server(reopened):
    store, ids = reopened
    assert store.get_run(ids["queued"])["finished_at"] == 102.5


def test_recovery_leaves_a_finished_run_as_it_was(reopened):
    store, ids = reopened
    assert store.get_run(ids["done"])["finished_at"] == 50.0
