"""A run's named series (docs/api.md, Series): listed, read a page at a time and thinned as
/losses, streamed over the run's websocket exactly once and in order, resumed per series."""

from __future__ import annotations

import json
import math
import threading

import pytest
from starlette.websockets import WebSocketDisconnect

from tests.helpers import TINY, wait_status
from tests.web.test_ingest import INGEST, batch, open_run, send


@pytest.fixture
def run_id(client) -> int:
    run_id = open_run(client, name="logged")["run"]["id"]
    send(client, run_id, batch(0, loss=[(0, 3.0), (1, 2.0), (2, 1.0)],
                               val__acc=[(0, 0.1), (100, 0.5)], lr=[(0, 0.01)]))  # fmt: skip
    send(client, run_id, batch(1, loss=[(3, 0.5), (5, 0.25)], val__acc=[(200, 0.75)]))
    return run_id


def messages(ws) -> tuple[list[dict], int]:
    """Every message until the server closes, and its close code."""
    received = []
    while True:
        try:
            received.append(ws.receive_json())
        except WebSocketDisconnect as closed:
            return received, closed.code


def by_series(received: list[dict]) -> dict[str, list[int]]:
    """The steps each series' messages carried, in the order they came (loss from `points`)."""
    steps: dict[str, list[int]] = {}
    for message in received:
        if message["type"] == "points":
            start = message["start"]
            steps.setdefault("loss", []).extend(range(start, start + len(message["loss"])))
        elif message["type"] == "series":
            assert len(message["step"]) == len(message["value"]) == len(message["time"])
            steps.setdefault(message["name"], []).extend(message["step"])
    return steps


def test_series_lists_each_with_count_last_and_min(client, run_id):
    listed = client.get(f"/api/runs/{run_id}/series").json()
    assert listed == {"run_id": run_id, "primary": "loss", "series": [
        {"name": "loss", "count": 5, "last": 0.25, "min": 0.25},
        {"name": "lr", "count": 1, "last": 0.01, "min": 0.01},
        {"name": "val/acc", "count": 3, "last": 0.75, "min": 0.1}]}  # fmt: skip


def test_series_with_a_slash_reads_with_its_steps(client, run_id):
    page = client.get(f"/api/runs/{run_id}/series/val/acc").json()
    assert page == {"run_id": run_id, "series": "val/acc", "step": [0, 100, 200],
                    "value": [0.1, 0.5, 0.75], "time": [0.0, 10.0, 20.0], "decimated": False,
                    "next_after": None}  # fmt: skip


def test_series_pages_follow_next_after(client, run_id):
    first = client.get(f"/api/runs/{run_id}/series/loss", params={"limit": 2}).json()
    assert first["step"] == [0, 1] and first["next_after"] == 1
    rest = client.get(f"/api/runs/{run_id}/series/loss", params={"after": 1}).json()
    assert rest["step"] == [2, 3, 5] and rest["next_after"] is None


def test_thinned_series_keeps_its_gaps(client):
    run_id = open_run(client)["run"]["id"]
    values = [None if 400 <= i < 410 else math.sin(i / 30) for i in range(1000)]
    send(client, run_id, batch(0, wave=list(enumerate(values))))
    page = client.get(f"/api/runs/{run_id}/series/wave", params={"max_points": 50}).json()
    assert page["decimated"] and len(page["step"]) <= 50
    assert None in page["value"] and min(v for v in page["value"] if v is not None) == min(
        v for v in values if v is not None
    )


def test_unknown_series_or_run_is_404(client, run_id):
    missing = client.get(f"/api/runs/{run_id}/series/val/nothing")
    assert missing.status_code == 404 and missing.json()["detail"] == (
        f"run {run_id} has no series 'val/nothing'"
    )
    assert client.get("/api/runs/999/series").status_code == 404
    assert client.get("/api/runs/999/series/loss").status_code == 404


def test_a_job_runs_series_is_its_loss(client):
    run = client.post("/api/runs", json={"variant": "tensors", "iterations": 30, **TINY}).json()
    wait_status(client, run["id"])
    listed = client.get(f"/api/runs/{run['id']}/series").json()
    losses = client.get(f"/api/runs/{run['id']}/losses").json()
    assert [s["name"] for s in listed["series"]] == ["loss"] and listed["series"][0]["count"] == 30
    page = client.get(f"/api/runs/{run['id']}/series/loss").json()
    assert (page["step"], page["value"]) == (losses["step"], losses["loss"])
    assert client.get(f"/api/runs/{run['id']}/series/val/acc").status_code == 404


def test_a_finished_scripts_run_streams_every_series_once_then_closes(client, run_id):
    client.post(f"{INGEST}/{run_id}/finish", json={"status": "completed"})
    with client.websocket_connect(f"/ws/runs/{run_id}") as ws:
        received, code = messages(ws)
    assert by_series(received) == {"loss": [0, 1, 2, 3, 5], "lr": [0], "val/acc": [0, 100, 200]}
    assert received[0]["type"] == "run" and received[-1]["run"]["status"] == "completed"
    assert code == 1000


def test_a_websocket_resumes_each_series_after_its_cursor(client, run_id):
    client.post(f"{INGEST}/{run_id}/finish", json={"status": "completed"})
    cursors = json.dumps({"val/acc": 100, "lr": 0})
    with client.websocket_connect(f"/ws/runs/{run_id}?after=2&after_series={cursors}") as ws:
        received, _ = messages(ws)
    assert by_series(received) == {"loss": [3, 5], "val/acc": [200]}


@pytest.mark.parametrize("cursors", ["{", "[1]", '{"a": "x"}', '{"a": -2}', '{"a": 1.5}'])
def test_a_bad_after_series_closes_naming_it(client, run_id, cursors):
    url = f"/ws/runs/{run_id}?after_series={cursors}"
    with client.websocket_connect(url) as ws, pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    assert closed.value.code == 4422 and "after_series" in closed.value.reason


def test_a_running_scripts_run_streams_points_as_they_arrive(client, run_id):
    with client.websocket_connect(f"/ws/runs/{run_id}") as ws:
        first = [ws.receive_json() for _ in range(5)]  # run, loss x2 (a gap at 4), lr, val/acc
        assert by_series(first) == {"loss": [0, 1, 2, 3, 5], "lr": [0], "val/acc": [0, 100, 200]}
        send(client, run_id, batch(2, val__acc=[(300, 0.8)]))
        assert ws.receive_json() == {"type": "series", "name": "val/acc", "step": [300],
                                     "value": [0.8], "time": [30.0]}  # fmt: skip
        finisher = threading.Thread(target=client.post, args=(f"{INGEST}/{run_id}/finish",),
                                    kwargs={"json": {"status": "completed"}})  # fmt: skip
        finisher.start()
        received, code = messages(ws)
        finisher.join()
    assert received[-1]["run"]["status"] == "completed" and code == 1000


def test_the_runs_socket_hears_of_a_scripts_run(client, run_id):
    with client.websocket_connect("/ws/runs") as ws:
        send(client, run_id, batch(2, loss=[(6, 0.1)]))
        while (message := ws.receive_json())["run"]["id"] != run_id:
            pass
    assert message["run"]["source"] == "sdk"
    assert message["run"]["iteration"] == 201  # the last step logged (val/acc's 200), plus one
