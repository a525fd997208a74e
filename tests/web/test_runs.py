"""The Runs section of docs/api.md, in process."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from server.protocol import LIVE_STATUSES
from tests.helpers import TINY, wait_for, wait_status

LONG = {"variant": "tensors", "iterations": 1_000_000, **TINY}
FAST = {"variant": "numpy", "iterations": 3_000_000, "N": 1, "D_in": 1, "H": 1, "D_out": 1}


def start(client, **fields) -> dict:
    response = client.post("/api/runs", json={"variant": "tensors", **TINY, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def test_create_run_answers_201_with_resolved_config(client):
    run = start(client, iterations=30, seed=5, name="first try")
    assert run["status"] in LIVE_STATUSES and run["device"] == "cpu"
    assert run["name"] == "first try"
    assert run["config"] == {
        "variant": "tensors", "device": "cpu", "iterations": 30, "learning_rate": 1e-6,
        "optimizer": None, "seed": 5, "dtype": "float32", **TINY,
    }  # fmt: skip
    final = wait_status(client, run["id"])
    assert final["status"] == "completed" and final["iteration"] == 30
    assert final["worker"]["executor"] == "local" and final["worker"]["device"] == "cpu"
    assert final["started_at"] <= final["finished_at"] and final["created_at"].endswith("Z")


def test_read_runs_newest_first_with_filters(client):
    ids = [start(client, variant=v, iterations=3)["id"] for v in ("numpy", "nn", "nn")]
    for run_id in ids:
        wait_status(client, run_id)
    page = client.get("/api/runs").json()
    assert [r["id"] for r in page["runs"]] == ids[::-1] and page["total"] == 3
    page = client.get("/api/runs", params={"variant": "nn", "limit": 1}).json()
    assert [r["id"] for r in page["runs"]] == [ids[2]] and page["total"] == 2
    page = client.get("/api/runs", params={"status": "completed", "offset": 2}).json()
    assert [r["id"] for r in page["runs"]] == [ids[0]]


def test_losses_after_gives_every_later_step(client):
    run = start(client, iterations=120, seed=1)
    wait_status(client, run["id"])
    whole = client.get(f"/api/runs/{run['id']}/losses").json()
    assert whole["step"] == list(range(120)) and whole["decimated"] is False
    assert whole["time"] == sorted(whole["time"])
    tail = client.get(f"/api/runs/{run['id']}/losses", params={"after": 99}).json()
    assert tail["step"] == list(range(100, 120)) and tail["loss"] == whole["loss"][100:]


def test_losses_max_points_keeps_ends_and_extremes(client):
    run_id = client.app.state.manager.store.create_run(
        {"variant": "tensors", "config": {}, "device": "cpu", "status": "completed",
         "created_at": 0.0}
    )  # fmt: skip
    rng = np.random.default_rng(0)
    loss = np.exp(-np.linspace(0, 20, 1_000_000)) * 1e7 + rng.random(1_000_000)
    store = client.app.state.manager.store
    for start_ in range(0, len(loss), 100_000):
        chunk = loss[start_ : start_ + 100_000]
        store.append_losses(run_id, start_, chunk.tobytes(), np.zeros_like(chunk).tobytes())
    store.flush()
    body = client.get(f"/api/runs/{run_id}/losses", params={"max_points": 1000}).json()
    assert body["decimated"] is True and len(body["step"]) <= 1000
    assert body["step"][0] == 0 and body["step"][-1] == 999_999
    assert body["step"] == sorted(body["step"])
    assert min(body["loss"]) == loss.min() and max(body["loss"]) == loss.max()
    assert int(np.argmin(loss)) in body["step"]


def test_cancel_is_idempotent_and_stops_the_run(client):
    run = start(client, **LONG)
    assert client.post(f"/api/runs/{run['id']}/cancel").status_code == 202
    again = client.post(f"/api/runs/{run['id']}/cancel")
    assert again.status_code == 202
    final = wait_status(client, run["id"])
    assert final["status"] == "cancelled"
    assert client.post(f"/api/runs/{run['id']}/cancel").json()["status"] == "cancelled"


def test_delete_live_run_conflicts_and_finished_run_goes(client):
    run = start(client, **LONG)
    queued = start(client, **LONG)
    for live in (run, queued):
        response = client.delete(f"/api/runs/{live['id']}")
        assert response.status_code == 409 and "cancel it first" in response.json()["detail"]
    client.post(f"/api/runs/{queued['id']}/cancel")
    client.post(f"/api/runs/{run['id']}/cancel")
    wait_status(client, run["id"])
    assert client.get(f"/api/runs/{run['id']}").json()["iteration"] > 0
    assert client.delete(f"/api/runs/{run['id']}").status_code == 204
    assert client.get(f"/api/runs/{run['id']}").status_code == 404
    assert client.get(f"/api/runs/{run['id']}/losses").status_code == 404
    assert client.delete(f"/api/runs/{run['id']}").status_code == 404


def test_export_csv_and_json_hold_every_loss(client):
    run = start(client, iterations=50, seed=2)
    wait_status(client, run["id"])
    losses = client.get(f"/api/runs/{run['id']}/losses").json()
    response = client.get(f"/api/runs/{run['id']}/export", params={"format": "csv"})
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [float(r["loss"]) for r in rows] == losses["loss"]
    assert [int(r["step"]) for r in rows] == list(range(50))
    body = json.loads(client.get(f"/api/runs/{run['id']}/export?format=json").text)
    assert body["run"]["id"] == run["id"]
    assert [r["loss"] for r in body["rows"]] == losses["loss"]


@pytest.mark.parametrize(
    "path",
    ["/api/runs/999", "/api/runs/999/losses", "/api/runs/999/export"],
)
def test_unknown_run_is_404(client, path):
    response = client.get(path)
    assert response.status_code == 404 and "999" in response.json()["detail"]


def test_unknown_run_cancel_and_delete_are_404(client):
    assert client.post("/api/runs/999/cancel").status_code == 404
    assert client.delete("/api/runs/999").status_code == 404


MISSING = object()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"variant": "resnet"}, "variant"),
        ({"variant": MISSING}, "variant"),
        ({"device": "cuda:7"}, "device"),
        ({"device": "quantum"}, "device"),
        ({"variant": "numpy", "device": "cuda"}, "device"),
        ({"iterations": 0}, "iterations"),
        ({"iterations": 10_000_001}, "iterations"),
        ({"iterations": "many"}, "iterations"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"learning_rate": -1}, "learning_rate"),
        ({"learning_rate": "Infinity"}, "learning_rate"),
        ({"optimizer": "adam"}, "optimizer"),
        ({"variant": "optim", "optimizer": "lbfgs"}, "optimizer"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**63}, "seed"),
        ({"N": 0}, "N"),
        ({"D_in": 0}, "D_in"),
        ({"H": -1}, "H"),
        ({"D_out": 0}, "D_out"),
        ({"N": 10**6, "D_in": 10**6}, "N"),
        ({"dtype": "int8"}, "dtype"),
        ({"name": "n" * 201}, "name"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_bad_run_request_is_422_naming_field_and_writes_nothing(client, fields, field):
    body = {k: v for k, v in {"variant": "tensors", **fields}.items() if v is not MISSING}
    response = client.post("/api/runs", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert field in [str(err["loc"][-1]) for err in detail]
    assert all(err["msg"] for err in detail)
    assert client.get("/api/runs").json()["total"] == 0


def test_malformed_json_is_422(client):
    response = client.post(
        "/api/runs", content=b'{"variant": "nn",', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert client.get("/api/runs").json()["total"] == 0


@pytest.mark.parametrize(
    ("path", "params"),
    [("/api/runs", {"limit": 0}), ("/api/runs", {"status": "sleeping"}),
     ("/api/runs/1/losses", {"max_points": 1}), ("/api/runs/1/losses", {"after": -2}),
     ("/api/runs/1/export", {"format": "xml"})],
)  # fmt: skip
def test_bad_query_is_422(client, path, params):
    assert client.get(path, params=params).status_code == 422


def test_live_losses_and_export_stay_consistent_while_the_run_appends(client):
    run = client.post("/api/runs", json=FAST).json()
    wait_for(lambda: client.get(f"/api/runs/{run['id']}").json()["iteration"] > 1000)
    for _ in range(30):
        body = client.get(f"/api/runs/{run['id']}/losses", params={"max_points": 100}).json()
        assert len(body["step"]) == len(body["loss"]) == len(body["time"])
        export = client.get(f"/api/runs/{run['id']}/export", params={"format": "json"})
        assert export.status_code == 200
    client.post(f"/api/runs/{run['id']}/cancel")
    wait_status(client, run["id"])


def test_stored_gap_keeps_step_numbers_in_losses_and_replay(client):
    store = client.app.state.manager.store
    run_id = store.create_run({"variant": "numpy", "config": {}, "device": "cpu",
                               "status": "completed", "created_at": 0})  # fmt: skip
    for start in (0, 10):  # steps 5..9 were never stored
        values = np.arange(start, start + 5, dtype=float)
        store.append_losses(run_id, start, values.tobytes(), values.tobytes())
    store.flush()
    body = client.get(f"/api/runs/{run_id}/losses").json()
    assert body["step"] == [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]
    assert body["loss"] == [float(s) for s in body["step"]]
    with client.websocket_connect(f"/ws/runs/{run_id}") as ws:
        messages = [ws.receive_json() for _ in range(4)]
    starts = [(m["start"], len(m["loss"])) for m in messages if m["type"] == "points"]
    assert starts == [(0, 5), (10, 5)]


@pytest.mark.parametrize(
    "path",
    ["/api/runs/99999999999999999999", "/api/runs/-1", "/api/runs/99999999999999999999/losses"],
)
def test_ids_past_sqlite_range_are_422(client, path):
    assert client.get(path).status_code == 422
