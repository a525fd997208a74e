"""A fit's parameters: stored at step 0, every tick and the last step; streamed as `params`
messages, in order, resumable with `after`; read back with GET /params."""

from __future__ import annotations

import json

import pytest
from starlette.websockets import WebSocketDisconnect

from tests.helpers import app_client, wait_for


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A client, and a completed poly_tensors run of 3,000 steps."""
    with app_client(tmp_path_factory.mktemp("params")) as client:
        spec = {"variant": "poly_tensors", "device": "cpu", "seed": 0, "iterations": 3000}
        run = client.post("/api/runs", json=spec).json()
        done = {"completed"}
        wait_for(lambda: client.get(f"/api/runs/{run['id']}").json()["status"] in done)
        yield client, run["id"]


def stream(client, run_id: int, after: int = -1) -> list[dict]:
    """Every message of the run's websocket, until the server closes it (1000)."""
    messages = []
    socket = client.websocket_connect(f"/ws/runs/{run_id}?after={after}")
    with socket as ws, pytest.raises(WebSocketDisconnect) as closed:
        while True:
            messages.append(json.loads(ws.receive_text()))
    assert closed.value.code == 1000
    return messages


def test_params_stored_at_first_and_last_step(finished):
    client, run_id = finished
    body = client.get(f"/api/runs/{run_id}/params").json()
    assert body["step"][0] == 0 and body["step"][-1] == 2999
    assert body["step"] == sorted(set(body["step"])) and body["next_after"] is None
    assert set(body["params"][0]) == {"a", "b", "c", "d"}


def test_params_after_and_limit_page(finished):
    client, run_id = finished
    every = client.get(f"/api/runs/{run_id}/params").json()["step"]
    page = client.get(f"/api/runs/{run_id}/params?after=0&limit=1").json()
    assert page["step"] == every[1:2]
    assert page["next_after"] == (every[1] if len(every) > 2 else None)


def test_params_stream_replays_every_stored_step_in_order(finished):
    client, run_id = finished
    stored = client.get(f"/api/runs/{run_id}/params").json()
    sent = [m for m in stream(client, run_id) if m["type"] == "params"]
    assert [m["step"] for m in sent] == stored["step"]
    assert [m["params"] for m in sent] == stored["params"]


def test_params_stream_resumes_after(finished):
    client, run_id = finished
    sent = [m["step"] for m in stream(client, run_id, after=1500) if m["type"] == "params"]
    assert sent and min(sent) > 1500 and sent[-1] == 2999


def test_params_unknown_run_is_404(finished):
    client, _ = finished
    response = client.get("/api/runs/999999/params")
    assert response.status_code == 404 and "999999" in response.json()["detail"]


def test_params_negative_limit_is_refused(finished):
    client, run_id = finished
    response = client.get(f"/api/runs/{run_id}/params?limit=0")
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "limit"


def test_params_live_stream_sends_every_tick_in_order(tmp_path):
    with app_client(tmp_path) as client:
        spec = {"variant": "poly_module", "device": "cpu", "seed": 2, "iterations": 20000}
        run_id = client.post("/api/runs", json=spec).json()["id"]
        messages = stream(client, run_id)
        stored = client.get(f"/api/runs/{run_id}/params").json()
    steps = [m["step"] for m in messages if m["type"] == "params"]
    assert steps == stored["step"] and steps[0] == 0 and steps[-1] == 19999
    assert len(steps) > 2


def test_params_live_message_follows_its_points(tmp_path):
    with app_client(tmp_path) as client:
        spec = {"variant": "poly_nn", "device": "cpu", "seed": 2, "iterations": 20000}
        messages = stream(client, client.post("/api/runs", json=spec).json()["id"])
    sent_points = 0
    for message in messages:
        if message["type"] == "points":
            sent_points = message["start"] + len(message["loss"])
        elif message["type"] == "params":
            assert message["step"] < sent_points
