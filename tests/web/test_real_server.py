"""The main paths against a real `lossboard serve` subprocess, with a real websocket client."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.helpers import TINY, ServerProcess, wait_for, wait_status

pytestmark = pytest.mark.e2e
TOKEN = "real-server-token-0123"


AS_LEFT = {"LOSSBOARD_RESUME": "off"}  # a restart that leaves cut runs as the stop left them


@pytest.fixture
def server(tmp_path):
    with ServerProcess(tmp_path / "data") as server:
        yield server


def post_run(server: ServerProcess, **body) -> dict:
    response = httpx.post(f"{server.url}/api/runs", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def follow(ws_url: str, run_id: int, after: int = -1) -> tuple[list[int], list[dict], int]:
    steps, runs = [], []
    with connect(f"{ws_url}/ws/runs/{run_id}?after={after}") as ws:
        for message in messages(ws):
            if message["type"] == "points":
                steps.extend(range(message["start"], message["start"] + len(message["loss"])))
            elif message["type"] == "run":  # not the system sampler's `series` messages
                runs.append(message["run"])
        return steps, runs, ws.close_code


def messages(ws):
    """Every JSON message until the server closes, whatever the close code."""
    try:
        for raw in ws:
            yield json.loads(raw)
    except ConnectionClosed:
        return


def test_real_server_runs_and_streams_every_point(server):
    run = httpx.post(f"{server.url}/api/runs", json={"variant": "tensors", "iterations": 5000,
                                                     **TINY}).json()  # fmt: skip
    steps, runs, code = follow(server.ws_url, run["id"])
    assert steps == list(range(5000)) and code == 1000
    assert runs[-1]["status"] == "completed"
    losses = httpx.get(f"{server.url}/api/runs/{run['id']}/losses").json()
    assert losses["step"] == list(range(5000))


def points_of(ws_url: str, run_id: int) -> tuple[list[float], list[float]]:
    loss, times = [], []
    with connect(f"{ws_url}/ws/runs/{run_id}") as ws:
        for message in messages(ws):
            if message["type"] == "points":
                loss += message["loss"]
                times += message["time"]
    return loss, times


def test_real_server_subscribers_of_one_run_get_its_exact_losses(server):
    """Every subscriber is written the same frame each tick; what it decodes is exact."""
    run = post_run(server, variant="autograd", iterations=4000, **TINY)
    with ThreadPoolExecutor(3) as pool:
        seen = list(pool.map(lambda _: points_of(server.ws_url, run["id"]), range(3)))
    stored = httpx.get(f"{server.url}/api/runs/{run['id']}/losses").json()
    assert len(stored["loss"]) == 4000
    assert seen == [(stored["loss"], stored["time"])] * 3


def test_real_server_reconnect_after_gets_the_rest(server):
    run = httpx.post(f"{server.url}/api/runs", json={"variant": "nn", "iterations": 3000,
                                                     **TINY}).json()  # fmt: skip
    wait_status(server, run["id"])
    steps, _, code = follow(server.ws_url, run["id"], after=1234)
    assert steps == list(range(1235, 3000)) and code == 1000


def test_real_server_unknown_run_closes_4404(server):
    _, _, code = follow(server.ws_url, 777)
    assert code == 4404


def run_seconds(server: ServerProcess, run_id: int) -> float:
    from datetime import datetime

    run = wait_status(server, run_id)
    assert run["status"] == "completed"
    started, finished = (datetime.fromisoformat(run[k]) for k in ("started_at", "finished_at"))
    return (finished - started).total_seconds()


def test_stalled_subscribers_neither_slow_the_run_nor_grow_memory(server):
    body = {"variant": "tensors", "iterations": 50_000, "seed": 1, **TINY}
    baseline = httpx.post(f"{server.url}/api/runs", json=body).json()
    alone = run_seconds(server, baseline["id"])
    rss_before = server.rss_bytes()

    run = httpx.post(f"{server.url}/api/runs", json=body).json()
    with contextlib.ExitStack() as stack:
        for _ in range(10):  # they never read: the kernel's buffers fill, each one's sends wait
            ws = connect(f"{server.ws_url}/ws/runs/{run['id']}", max_queue=1, close_timeout=0.2)
            stack.enter_context(ws)
        watched = run_seconds(server, run["id"])
        growth = server.rss_bytes() - rss_before
    print(f"stalled: alone {alone:.2f} s, watched {watched:.2f} s, RSS +{growth / 2**20:.1f} MiB")
    assert watched < alone * 2 + 1, (alone, watched)  # a blocked run would never finish
    # ten subscribers each queueing ~5 MB of points would show; cursors add nothing per point
    assert growth < 25 * 2**20, growth
    assert httpx.get(f"{server.url}/healthz").status_code == 200


def test_restart_keeps_finished_runs_and_marks_cut_run_interrupted(tmp_path):
    data = tmp_path / "data"
    with ServerProcess(data) as server:
        done = post_run(server, variant="autograd", iterations=400)
        wait_status(server, done["id"])
        cut = post_run(server, variant="tensors", iterations=10**7, **TINY)
        wait_for(lambda: httpx.get(f"{server.url}/api/runs/{cut['id']}").json()["iteration"] > 50)
        before = httpx.get(f"{server.url}/api/runs/{done['id']}/losses").json()
        # uvicorn shuts down cleanly, then re-raises SIGTERM so the exit status tells it
        assert server.stop() in (0, -signal.SIGTERM)
    with ServerProcess(data, env=AS_LEFT) as server:
        after = httpx.get(f"{server.url}/api/runs/{done['id']}/losses").json()
        assert after == before and len(after["loss"]) == 400
        run = httpx.get(f"{server.url}/api/runs/{cut['id']}").json()
        assert run["status"] == "interrupted" and run["iteration"] > 50
        stored = httpx.get(f"{server.url}/api/runs/{cut['id']}/losses").json()
        assert len(stored["loss"]) == run["iteration"]


def test_restart_after_a_kill_marks_running_run_interrupted(tmp_path):
    data = tmp_path / "data"
    with ServerProcess(data) as server:
        cut = post_run(server, variant="tensors", iterations=10**7, **TINY)
        wait_for(lambda: httpx.get(f"{server.url}/api/runs/{cut['id']}").json()["iteration"] > 50)
        server.kill()
    with ServerProcess(data, env=AS_LEFT) as server:
        assert httpx.get(f"{server.url}/api/runs/{cut['id']}").json()["status"] == "interrupted"


def test_real_server_with_token_guards_writes_and_sockets(tmp_path):
    with ServerProcess(tmp_path / "data", "--token", TOKEN) as server:
        body = {"variant": "numpy", "iterations": 3, **TINY}
        assert httpx.post(f"{server.url}/api/runs", json=body).status_code == 401
        good = {"Authorization": f"Bearer {TOKEN}"}
        run = httpx.post(f"{server.url}/api/runs", json=body, headers=good).json()
        with connect(f"{server.ws_url}/ws/runs/{run['id']}") as ws:
            assert list(messages(ws)) == [] and ws.close_code == 4401
        with connect(f"{server.ws_url}/ws/runs/{run['id']}", additional_headers=good) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "run"
        assert httpx.get(f"{server.url}/healthz").status_code == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "example.org"])
def test_serve_on_open_address_without_token_refuses_to_start(tmp_path, host):
    result = subprocess.run(
        [sys.executable, "-m", "server", "serve", "--host", host, "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "--token" in result.stderr and "--insecure" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_flags_override_environment(tmp_path):
    env = {"LOSSBOARD_TOKEN": "token-from-the-environment"}
    with ServerProcess(tmp_path / "data", "--token", TOKEN, env=env) as server:
        body = {"variant": "numpy", "iterations": 1, **TINY}
        env_token = {"Authorization": "Bearer token-from-the-environment"}
        flag_token = {"Authorization": f"Bearer {TOKEN}"}
        assert httpx.post(f"{server.url}/api/runs", json=body, headers=env_token).status_code == 401
        assert (
            httpx.post(f"{server.url}/api/runs", json=body, headers=flag_token).status_code == 201
        )


def test_real_server_evaluates_the_tutorial_view_cell(server):
    code = "x = torch.randn(4, 4)\ny = x.view(16)\nz = x.view(-1, 8)\nx.size(), y.size(), z.size()"
    answer = httpx.post(f"{server.url}/api/playground/eval", json={"code": code}, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.json()["outputs"][0]["value"]["repr"] == (
        "(torch.Size([4, 4]), torch.Size([16]), torch.Size([2, 8]))"
    )
    refused = httpx.post(f"{server.url}/api/playground/eval", json={"code": "open('x')"})
    assert refused.status_code == 400 and httpx.get(f"{server.url}/healthz").status_code == 200
