"""The sweep routes on a real app, store and manager: a grid that completes, cancel, the queue
cap, max_parallel, paired seeds, delete, and the sweep's websocket."""

from __future__ import annotations

import itertools
import time

from tests.helpers import TINY, app_client, wait_for

LONG = {"iterations": 10_000_000, "device": "cpu", **TINY}  # runs until cancelled
GRID = {
    "variant": "optim",
    "method": "grid",
    "params": {"learning_rate": {"values": [1e-4, 1e-3]}, "optimizer": {"values": ["sgd", "adam"]}},
    "seeds": 2,
    "base": {"iterations": 30, "device": "cpu", "seed": 5, **TINY},
}


def create(client, spec: dict) -> dict:
    response = client.post("/api/sweeps", json=spec)
    assert response.status_code == 201, response.text
    return response.json()


def wait_sweep(client, sweep_id: int, statuses=("completed", "cancelled", "interrupted")) -> dict:
    def check() -> dict | None:
        sweep = client.get(f"/api/sweeps/{sweep_id}").json()
        return sweep if sweep["status"] in statuses else None

    return wait_for(check, timeout=120)


def sweep_runs(client, sweep_id: int) -> list[dict]:
    page = client.get("/api/runs", params={"sweep_id": sweep_id, "limit": 1000}).json()
    return sorted(page["runs"], key=lambda run: run["id"])


def test_grid_sweep_runs_every_config_with_paired_seeds(client):
    sweep = create(client, GRID)
    runs = sweep_runs(client, sweep["id"])
    got = [tuple(r["config"][k] for k in ("learning_rate", "optimizer", "seed")) for r in runs]
    expected = [(lr, opt, s) for lr in (1e-4, 1e-3) for opt in ("sgd", "adam") for s in (5, 6)]
    assert got == expected and [r["id"] for r in runs] == sweep["run_ids"]
    assert all(r["sweep_id"] == sweep["id"] for r in runs)
    assert runs[2]["sweep_params"] == {"learning_rate": 1e-4, "optimizer": "adam"}


def test_grid_sweep_completes_with_its_counts_and_best(client):
    sweep = wait_sweep(client, create(client, GRID)["id"])
    runs = sweep_runs(client, sweep["id"])
    assert sweep["status"] == "completed" and all(r["status"] == "completed" for r in runs)
    assert sweep["counts"]["completed"] == 8 and sum(sweep["counts"].values()) == 8
    top = min(runs, key=lambda r: r["best_loss"])
    best = {"run_id": top["id"], "loss": top["best_loss"], "params": top["sweep_params"]}
    assert sweep["best"] == best


def test_best_leaves_out_diverged_runs(client):
    spec = {**GRID, "variant": "nn", "params": {"learning_rate": {"values": [1e-4, 1e3]}}}
    sweep = wait_sweep(client, create(client, {**spec, "seeds": 1})["id"])
    assert sweep["counts"]["diverged"] == 1 and sweep["counts"]["completed"] == 1
    assert sweep["best"]["params"] == {"learning_rate": 1e-4}


def test_paired_seeds_give_every_learning_rate_the_same_initial_loss(client):
    spec = {**GRID, "variant": "nn", "params": {"learning_rate": {"values": [1e-6, 1e-4, 1e-3]}}}
    sweep = wait_sweep(client, create(client, spec)["id"])
    first = {}
    for run in sweep_runs(client, sweep["id"]):
        loss = client.get(f"/api/runs/{run['id']}/losses").json()["loss"]
        first.setdefault(run["config"]["seed"], set()).add(loss[0])
    assert sorted(first) == [5, 6] and all(len(losses) == 1 for losses in first.values())
    assert first[5] != first[6]


def test_cancel_ends_every_unfinished_run_cancelled_and_the_sweep_cancelled(client):
    spec = {**GRID, "seeds": 1, "base": LONG}
    sweep = create(client, spec)
    wait_for(lambda: client.get(f"/api/sweeps/{sweep['id']}").json()["counts"]["running"])
    assert client.post(f"/api/sweeps/{sweep['id']}/cancel").status_code == 202
    ended = wait_sweep(client, sweep["id"])
    assert ended["status"] == "cancelled" and ended["counts"]["cancelled"] == 4
    assert {r["status"] for r in sweep_runs(client, sweep["id"])} == {"cancelled"}


def test_max_parallel_trains_at_most_that_many_at_once(tmp_path):
    with app_client(tmp_path, workers_per_device=3) as client:
        sweep = create(client, {**GRID, "seeds": 1, "base": LONG, "max_parallel": 2})
        path = f"/api/sweeps/{sweep['id']}"
        wait_for(lambda: client.get(path).json()["counts"]["running"] == 2)
        counts = client.get(path).json()["counts"]
        client.post(f"{path}/cancel")
        assert wait_sweep(client, sweep["id"])["counts"]["cancelled"] == 4
        started = [r for r in sweep_runs(client, sweep["id"]) if r["started_at"] is not None]
    assert (counts["running"], counts["queued"]) == (2, 2)
    assert len(started) == 2  # a free third worker never took one of the two held back


def test_sweep_past_the_queue_cap_is_refused_whole(tmp_path):
    with app_client(tmp_path, max_queued=5) as client:
        first = create(client, {**GRID, "seeds": 1, "base": LONG})
        response = client.post("/api/sweeps", json={**GRID, "params": {}, "seeds": 3, "base": LONG})
        assert response.status_code == 429 and "cap of 5" in response.json()["detail"]
        assert client.get("/api/runs").json()["total"] == 4
        assert client.get("/api/sweeps").json()["total"] == 1
        client.post(f"/api/sweeps/{first['id']}/cancel")


def test_single_run_past_the_queue_cap_is_refused(tmp_path):
    with app_client(tmp_path, max_queued=1) as client:
        first = client.post("/api/runs", json={"variant": "nn", **LONG}).json()
        wait_for(lambda: client.get(f"/api/runs/{first['id']}").json()["status"] == "running")
        assert client.post("/api/runs", json={"variant": "nn", **LONG}).status_code == 201
        assert client.post("/api/runs", json={"variant": "nn", **LONG}).status_code == 429
        for run in client.get("/api/runs").json()["runs"]:
            client.post(f"/api/runs/{run['id']}/cancel")


def test_sweeps_list_newest_first_with_total(client):
    ids = [create(client, {**GRID, "seeds": 1, "params": {}})["id"] for _ in range(3)]
    page = client.get("/api/sweeps", params={"limit": 2, "offset": 1}).json()
    assert page["total"] == 3 and [s["id"] for s in page["sweeps"]] == ids[::-1][1:]


def test_unknown_sweep_is_404_on_every_route(client):
    for method, path in [("get", "/api/sweeps/9"), ("post", "/api/sweeps/9/cancel"),
                         ("delete", "/api/sweeps/9"), ("get", "/api/sweeps/9/export")]:  # fmt: skip
        response = client.request(method, path)
        assert response.status_code == 404 and response.json()["detail"] == "sweep 9 does not exist"


def test_delete_of_a_running_sweep_is_409(client):
    sweep = create(client, {**GRID, "seeds": 1, "params": {}, "base": LONG})
    response = client.delete(f"/api/sweeps/{sweep['id']}")
    assert response.status_code == 409 and "cancel it first" in response.json()["detail"]
    client.post(f"/api/sweeps/{sweep['id']}/cancel")


def test_delete_of_a_finished_sweep_removes_it_and_its_runs(client):
    sweep = wait_sweep(client, create(client, {**GRID, "seeds": 2, "params": {}})["id"])
    other = client.post("/api/runs", json={"variant": "nn", "iterations": 5, **TINY}).json()
    assert client.delete(f"/api/sweeps/{sweep['id']}").status_code == 204
    assert client.get(f"/api/sweeps/{sweep['id']}").status_code == 404
    assert [r["id"] for r in client.get("/api/runs").json()["runs"]] == [other["id"]]
    assert client.get(f"/api/runs/{sweep['run_ids'][0]}/losses").status_code == 404


def test_sweep_websocket_sends_status_and_progress_then_ends(client):
    spec = {**GRID, "seeds": 1, "params": {"learning_rate": {"values": [1e-4, 1e-3]}},
            "base": {**GRID["base"], "iterations": 2000}, "max_parallel": 1}  # fmt: skip
    sweep = create(client, spec)
    messages, times = [], []
    with client.websocket_connect(f"/ws/sweeps/{sweep['id']}") as ws:
        while not messages or ended(messages[-1]) is False:
            messages.append(ws.receive_json())
            times.append(time.monotonic())
        assert ws.receive()["code"] == 1000
    assert messages[0]["type"] == "sweep" and messages[0]["sweep"]["id"] == sweep["id"]
    progress = [m for m in messages if m["type"] == "progress"]
    fields = {"id", "status", "step", "iterations", "loss", "best_loss"}
    assert progress and set(progress[0]["runs"][0]) == fields
    assert messages[-1]["sweep"]["status"] == "completed"
    rounds = [t for t, m in zip(times, messages, strict=True) if m["type"] == "progress"]
    assert all(b - a > 0.9 for a, b in itertools.pairwise(rounds))  # at most about once a second


def ended(message: dict) -> bool:
    """False for any message but the sweep's final one."""
    return message["type"] == "sweep" and message["sweep"]["status"] != "running"


def test_sweep_websocket_to_an_unknown_sweep_closes_4404(client):
    with client.websocket_connect("/ws/sweeps/9") as ws:
        assert ws.receive()["code"] == 4404
