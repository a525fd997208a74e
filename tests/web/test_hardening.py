"""What a second look at the server found: consistent live reads, a writer that survives a
full disk, gap-safe reads, other sites' pages refused, and ids past SQLite's range."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from server.settings import Settings
from server.web.app import create_app
from tests.helpers import TINY, wait_for, wait_status

FAST = {"variant": "numpy", "iterations": 3_000_000, "N": 1, "D_in": 1, "H": 1, "D_out": 1}


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


def test_writer_survives_a_full_database_and_keeps_serving(store):
    run_id = store.create_run({"variant": "numpy", "config": {}, "device": "cpu",
                               "status": "running", "created_at": 0})  # fmt: skip
    store.submit(lambda conn: conn.execute("PRAGMA max_page_count = 1")).result(10)
    big = np.ones(100_000).tobytes()
    with pytest.raises(Exception, match="full"):
        store.append_losses(run_id, 0, big, big).result(10)
    store.submit(lambda conn: conn.execute("PRAGMA max_page_count = 1073741823")).result(10)
    store.append_losses(run_id, 100_000, big, big).result(10)  # the writer is still there
    steps, loss, _ = store.read_losses(run_id)
    assert steps[0] == 100_000 and len(loss) == 100_000  # the lost batch leaves a gap


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


def test_other_hosts_are_refused_on_a_loopback_bind(tmp_path):
    settings = Settings(data_dir=tmp_path, playground_prestart=False)  # host 127.0.0.1
    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        assert client.get("/api/runs").status_code == 200
        rebound = client.post("/api/runs", json={"variant": "numpy", **TINY},
                              headers={"host": "attacker.example:8000"})  # fmt: skip
        assert rebound.status_code == 400
        assert client.get("/api/runs").json()["total"] == 0


def test_other_sites_pages_cannot_write(client):
    run = client.post("/api/runs", json={**FAST, "iterations": 10**7}).json()
    evil = {"origin": "http://evil.example"}
    assert client.post(f"/api/runs/{run['id']}/cancel", headers=evil).status_code == 403
    assert client.post("/api/runs", json=FAST, headers=evil).status_code == 403
    same = {"origin": "http://testserver"}
    assert client.post(f"/api/runs/{run['id']}/cancel", headers=same).status_code == 202
    wait_status(client, run["id"])


def test_other_sites_pages_cannot_open_sockets(client):
    evil = {"origin": "http://evil.example"}
    with (
        client.websocket_connect("/ws/runs", headers=evil) as ws,
        pytest.raises(WebSocketDisconnect) as closed,
    ):
        ws.receive_json()
    assert closed.value.code == 4403


@pytest.mark.parametrize(
    "path",
    ["/api/runs/99999999999999999999", "/api/runs/-1", "/api/runs/99999999999999999999/losses"],
)
def test_ids_past_sqlite_range_are_422(client, path):
    assert client.get(path).status_code == 422


@pytest.mark.parametrize("ids", ["²", "99999999999999999999", "1,x"])
def test_compare_with_odd_ids_is_a_400_page(client, ids):
    assert client.get("/compare", params={"ids": ids}).status_code == 400


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
