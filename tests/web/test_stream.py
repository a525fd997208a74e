"""The Live stream section of docs/api.md, in process."""

from __future__ import annotations

import itertools
import logging
import time
from datetime import datetime
from typing import NamedTuple

import pytest
from starlette.websockets import WebSocketDisconnect

from server.protocol import LIVE_STATUSES
from tests.helpers import TINY, wait_status

STREAMED = {"variant": "tensors", "iterations": 20_000, **TINY}


class Received(NamedTuple):
    steps: list[int]
    runs: list[dict]
    code: int | None
    messages: int


def collect(ws, stop_after: int | None = None) -> Received:
    """Read messages until close (or until step stop_after is reached)."""
    steps, runs, messages = [], [], 0
    while True:
        try:
            message = ws.receive_json()
        except WebSocketDisconnect as closed:
            return Received(steps, runs, closed.code, messages)
        messages += 1
        if message["type"] == "points":
            assert len(message["loss"]) == len(message["time"])
            steps.extend(range(message["start"], message["start"] + len(message["loss"])))
        elif message["type"] == "run":  # the system sampler's `series` messages are not counted
            runs.append(message["run"])
        if stop_after is not None and steps and steps[-1] >= stop_after:
            return Received(steps, runs, None, messages)


def test_subscriber_gets_every_step_once_in_order_then_final_run_and_1000(client):
    run = client.post("/api/runs", json=STREAMED).json()
    with client.websocket_connect(f"/ws/runs/{run['id']}") as ws:
        steps, runs, code, messages = collect(ws)
    assert steps == list(range(20_000))
    assert runs[0]["id"] == run["id"]
    assert runs[-1]["status"] == "completed" and runs[-1]["iteration"] == 20_000
    assert code == 1000
    final = runs[-1]
    seconds = (datetime.fromisoformat(final["finished_at"])
               - datetime.fromisoformat(final["created_at"])).total_seconds()  # fmt: skip
    assert messages <= 20 * seconds + 5  # batched: about 20 messages a second at most


def test_reconnect_with_after_gets_exactly_the_rest(client):
    run = client.post("/api/runs", json=STREAMED).json()
    with client.websocket_connect(f"/ws/runs/{run['id']}") as ws:
        first = collect(ws, stop_after=5_000).steps
    k = first[-1]
    with client.websocket_connect(f"/ws/runs/{run['id']}?after={k}") as ws:
        rest, runs, code, _ = collect(ws)
    assert first + rest == list(range(20_000))
    assert runs[-1]["status"] == "completed" and code == 1000


def test_finished_run_replays_from_the_store(client):
    run = client.post("/api/runs", json={**STREAMED, "iterations": 300}).json()
    wait_status(client, run["id"])
    with client.websocket_connect(f"/ws/runs/{run['id']}?after=99") as ws:
        steps, runs, code, _ = collect(ws)
    assert steps == list(range(100, 300)) and code == 1000
    assert [r["status"] for r in runs] == ["completed", "completed"]


def test_status_changes_go_out_on_the_socket(client):
    long_run = client.post("/api/runs", json={**STREAMED, "iterations": 1_000_000}).json()
    queued = client.post("/api/runs", json={**STREAMED, "iterations": 50}).json()
    with client.websocket_connect(f"/ws/runs/{queued['id']}") as ws:
        assert ws.receive_json()["run"]["status"] == "queued"
        client.post(f"/api/runs/{long_run['id']}/cancel")
        steps, runs, code, _ = collect(ws)
    assert "running" in [r["status"] for r in runs] and runs[-1]["status"] == "completed"
    assert steps == list(range(50)) and code == 1000


def test_unknown_run_socket_closes_4404(client):
    with client.websocket_connect("/ws/runs/12345") as ws, pytest.raises(WebSocketDisconnect) as e:
        ws.receive_json()
    assert e.value.code == 4404


def run_messages(ws, run_id: int, count: int) -> list[tuple[float, dict]]:
    """The next `count` messages of /ws/runs, each with when it arrived; all about run_id."""
    received = []
    for _ in range(count):
        message = ws.receive_json()
        assert message["type"] == "run" and message["run"]["id"] == run_id
        received.append((time.monotonic(), message["run"]))
    return received


def test_all_runs_socket_announces_creation_and_status(client):
    with client.websocket_connect("/ws/runs") as ws:
        run = client.post("/api/runs", json={**STREAMED, "iterations": 1_000_000}).json()
        [(_, created)] = run_messages(ws, run["id"], 1)
        client.post(f"/api/runs/{run['id']}/cancel")
        statuses = [created["status"]]
        while statuses[-1] in LIVE_STATUSES:
            statuses += [r["status"] for _, r in run_messages(ws, run["id"], 1)]
    assert statuses[0] in LIVE_STATUSES and statuses[-1] == "cancelled"


def test_all_runs_socket_sends_progress_at_most_once_a_second(client):
    run = client.post("/api/runs", json={**STREAMED, "iterations": 1_000_000}).json()
    with client.websocket_connect("/ws/runs") as ws:
        received = run_messages(ws, run["id"], 4)
    client.post(f"/api/runs/{run['id']}/cancel")
    iterations = [r["iteration"] for _, r in received]
    assert iterations == sorted(iterations) and iterations[-1] > iterations[1]
    # the first message is the snapshot on connect; unthrottled, the rest would come every 50 ms
    gaps = [later - earlier for (earlier, _), (later, _) in itertools.pairwise(received[1:])]
    assert min(gaps) > 0.5, gaps  # receipt times jitter; the hub spaces them by 1 s


def test_stream_failure_closes_1011_and_is_logged(client, monkeypatch, caplog):
    async def broken(run_id, after, send):
        raise ValueError("boom")

    monkeypatch.setattr(client.app.state.hub, "follow_run", broken)
    with (
        caplog.at_level(logging.ERROR),
        client.websocket_connect("/ws/runs/1") as ws,
        pytest.raises(WebSocketDisconnect) as closed,
    ):
        ws.receive_json()
    assert closed.value.code == 1011
    assert "websocket stream failed" in caplog.text
