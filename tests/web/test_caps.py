"""Caps on work: the queue's length, a run's iterations, and exports at once."""

from __future__ import annotations

import pytest

from tests.helpers import TINY, app_client, wait_status
from tests.web.stored import store_run

LONG = {"variant": "tensors", "iterations": 1_000_000, **TINY}
SHORT = {"variant": "tensors", "iterations": 3, **TINY}


@pytest.fixture
def capped(tmp_path):
    with app_client(tmp_path, max_queued=2, max_iterations=1_000_000, max_exports=1) as client:
        yield client


def fill_queue(client) -> list[int]:
    """One run training, and max_queued (2) waiting behind it."""
    running = client.post("/api/runs", json=LONG).json()["id"]
    wait_status(client, running, ["running"])
    queued = [client.post("/api/runs", json=SHORT).json()["id"] for _ in range(2)]
    return [running, *queued]


def test_queue_past_max_queued_is_429_saying_why(capped):
    ids = fill_queue(capped)
    response = capped.post("/api/runs", json=SHORT)
    assert response.status_code == 429
    assert response.json()["detail"].startswith("2 runs are queued, the most this server takes")
    assert capped.get("/api/runs").json()["total"] == len(ids)
    for run_id in ids:
        capped.post(f"/api/runs/{run_id}/cancel")


def test_queue_takes_runs_again_once_one_leaves(capped):
    ids = fill_queue(capped)
    capped.post(f"/api/runs/{ids[1]}/cancel")
    assert capped.post("/api/runs", json=SHORT).status_code == 201
    capped.post(f"/api/runs/{ids[0]}/cancel")


def test_iterations_over_max_iterations_is_422_stating_the_limit(capped):
    response = capped.post("/api/runs", json={**SHORT, "iterations": 1_000_001})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "iterations"]
    assert error["msg"] == "1,000,001 iterations is over this server's limit of 1,000,000 a run"


def test_iterations_at_max_iterations_is_taken(capped):
    run = capped.post("/api/runs", json={**SHORT, "iterations": 1_000_000}).json()
    assert run["config"]["iterations"] == 1_000_000
    capped.post(f"/api/runs/{run['id']}/cancel")
    wait_status(capped, run["id"])


def test_export_gives_its_slot_back_when_done(capped):
    run_id = store_run(capped.app.state.manager.store, steps=10)
    for format in ("csv", "json", "csv"):  # max_exports is 1: each needs the one before's slot
        response = capped.get(f"/api/runs/{run_id}/export", params={"format": format})
        assert response.status_code == 200


def test_export_of_an_unknown_run_takes_no_slot(capped):
    run_id = store_run(capped.app.state.manager.store, steps=10)
    assert capped.get("/api/runs/999/export").status_code == 404
    assert capped.get(f"/api/runs/{run_id}/export").status_code == 200
