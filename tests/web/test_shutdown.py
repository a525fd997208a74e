"""Shutdown and crash honesty against a real `lossboard serve`: a SIGTERM tells each run's
followers that it was interrupted before their socket closes, a server stopped while its
sandbox warms prints no traceback, and a run cut by a kill ends when its last loss was taken."""

from __future__ import annotations

import json
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from server.playground import workdirs
from tests.helpers import TINY, ServerProcess, wait_for

pytestmark = pytest.mark.e2e

LONG_RUN = {"variant": "tensors", "iterations": 10**7, **TINY}


def start_long_run(server: ServerProcess) -> dict:
    """A run that trains until it is stopped, once it has stored some losses."""
    run = httpx.post(f"{server.url}/api/runs", json=LONG_RUN).json()
    wait_for(lambda: httpx.get(f"{server.url}/api/runs/{run['id']}").json()["iteration"] > 50)
    return run


def rest(ws) -> list[dict]:
    """Every message until the server closes the socket."""
    received = []
    try:
        for raw in ws:
            received.append(json.loads(raw))
    except ConnectionClosed:
        pass
    return received


def seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def test_sigterm_tells_a_run_follower_it_was_interrupted_before_closing(tmp_path):
    with ServerProcess(tmp_path / "data") as server:
        run = start_long_run(server)
        with connect(f"{server.ws_url}/ws/runs/{run['id']}") as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "run"
            server.proc.terminate()
            received = rest(ws)
        runs = [message["run"] for message in received if message["type"] == "run"]
        assert runs and runs[-1]["status"] == "interrupted"
        assert received[-1]["type"] == "run"  # nothing came after it
        assert ws.close_code == 1000


def test_sigterm_while_the_sandbox_warms_leaves_no_traceback(tmp_path):
    server = ServerProcess(tmp_path / "data").start()
    server.stop()  # at once: the playground's zygote is still importing torch
    log = server.log.read_text()
    assert "Shutting down" in log
    assert "Traceback" not in log


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    """A server killed (SIGKILL) mid-run and restarted on the same data dir."""
    data = tmp_path_factory.mktemp("killed")
    with ServerProcess(data) as first:
        run = start_long_run(first)
        pid = first.proc.pid
        first.kill()
    leftovers = list(Path(tempfile.gettempdir()).glob(f"{workdirs.PREFIX}{pid}-*"))
    restarted_at = time.time()
    with ServerProcess(data, env={"LOSSBOARD_RESUME": "off"}) as second:  # the run as left
        yield second, run["id"], restarted_at, leftovers


def test_killed_run_finished_at_is_its_last_loss_time(killed):
    server, run_id, restarted_at, _ = killed
    run = httpx.get(f"{server.url}/api/runs/{run_id}").json()
    times = httpx.get(f"{server.url}/api/runs/{run_id}/losses").json()["time"]
    assert run["status"] == "interrupted" and len(times) == run["iteration"]
    last_loss_at = seconds(run["started_at"]) + times[-1]
    assert seconds(run["finished_at"]) == pytest.approx(last_loss_at, abs=1e-3)
    assert seconds(run["finished_at"]) < restarted_at


def test_killed_server_sandbox_directory_is_removed_by_the_next(killed):
    _, _, _, leftovers = killed
    assert leftovers  # the killed server never removed its own
    assert not any(path.exists() for path in leftovers)
