"""System metrics on a real server: a run's system/ series, /api/system and /metrics live."""

from __future__ import annotations

import json
import os
import threading
from urllib.parse import urlencode

import httpx
import numpy as np
import psutil
import pytest
from websockets.sync.client import connect

from tests.helpers import TINY, ServerProcess, app_client, wait_finished, wait_for, wait_status

pytestmark = pytest.mark.e2e
EVERY_S = 0.25
LONG_RUN = {"variant": "tensors", "iterations": 10_000_000, **TINY}  # cancelled once sampled


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    with ServerProcess(data, env={"LOSSBOARD_SYSTEM_EVERY_S": str(EVERY_S)}) as server:
        yield server


def series(server: ServerProcess, run_id: int, name: str) -> dict:
    return server.get(f"/api/runs/{run_id}/series/{name}").json()


def test_a_runs_cpu_and_rss_samples_come_each_interval_and_are_the_servers(server):
    run = httpx.post(f"{server.url}/api/runs", json=LONG_RUN).json()
    wait_for(lambda: len(series(server, run["id"], "system/rss_bytes").get("value", [])) >= 12)
    server_rss = psutil.Process(server.proc.pid).memory_info().rss
    httpx.post(f"{server.url}/api/runs/{run['id']}/cancel")
    final = wait_status(server, run["id"])
    rss, cpu = (
        series(server, run["id"], "system/rss_bytes"),
        series(server, run["id"], "system/cpu_percent"),
    )
    # one a sample: each at the run's step then, a step at most once, about EVERY_S apart
    assert rss["step"] == sorted(set(rss["step"])) and len(cpu["value"]) == len(rss["value"])
    gaps = np.diff(rss["time"])
    assert EVERY_S * 0.8 < np.median(gaps) < EVERY_S * 1.6, gaps
    # a local run's RSS is the server process's, as psutil tells it for that pid
    assert abs(rss["value"][-1] - server_rss) < 0.15 * server_rss
    assert final["peak_rss_bytes"] == max(rss["value"])
    assert all(0 <= v <= 100 * os.cpu_count() for v in cpu["value"]) and max(cpu["value"]) > 0


def test_system_and_metrics_carry_the_machines_cpu_now(server):
    cpu = wait_for(lambda: server.get("/api/system").json()["devices"][0])
    assert cpu["id"] == "cpu" and 0 <= cpu["utilization"] <= 100
    assert cpu["memory_total"] == psutil.virtual_memory().total and cpu["memory_used"] > 0
    text = server.get("/metrics").text
    line = next(x for x in text.splitlines() if x.startswith("lossboard_device_utilization{"))
    assert line.startswith('lossboard_device_utilization{device="cpu"} ')
    assert 0 <= float(line.split()[-1]) <= 100
    assert 'lossboard_device_memory_total_bytes{device="cpu"}' in text
    assert "process_cpu_seconds_total" in text  # the server's own, as before


def test_the_last_minutes_for_the_sparklines(server):
    samples = wait_for(lambda: (s := server.get("/api/system/samples").json())["time"] and s)
    assert samples["every_s"] == EVERY_S and samples["time"] == sorted(samples["time"])
    cpu = samples["devices"]["cpu"]
    assert len(cpu["utilization"]) == len(cpu["memory_used"]) == len(samples["time"])


def test_sampling_off_adds_no_thread_and_no_series(tmp_path):
    with app_client(tmp_path, system_every_s=0) as client:
        assert "lossboard-system" not in {t.name for t in threading.enumerate()}
        run = client.post("/api/runs", json={"variant": "tensors", "iterations": 3000, **TINY})
        wait_finished(client.app.state.manager, run.json()["id"])
        listed = client.get(f"/api/runs/{run.json()['id']}/series").json()["series"]
        assert [s["name"] for s in listed] == ["loss"]
        assert client.get("/api/system").json()["devices"][0]["utilization"] is None
        assert client.get("/api/system/samples").json() == {"every_s": 0, "time": [],
                                                            "devices": {}}  # fmt: skip
        assert "lossboard_device_utilization{" not in client.get("/metrics").text


def test_a_live_runs_socket_sends_its_samples_after_each_cursor(server):
    run = httpx.post(f"{server.url}/api/runs", json=LONG_RUN).json()
    try:
        seen = follow_samples(server, run["id"], {}, count=3)
        cursor = {"system/rss_bytes": seen[-1]}  # a reconnect: only what came after
        again = follow_samples(server, run["id"], cursor, count=1)
        assert seen == sorted(set(seen)) and again[0] > seen[-1]
    finally:
        httpx.post(f"{server.url}/api/runs/{run['id']}/cancel")
        wait_status(server, run["id"])


def follow_samples(server: ServerProcess, run_id: int, cursors: dict, count: int) -> list[int]:
    """The steps of the first `count` system/rss_bytes points the run's socket sends."""
    steps: list[int] = []
    query = urlencode({"after_series": json.dumps(cursors)})
    with connect(f"{server.ws_url}/ws/runs/{run_id}?{query}") as ws:
        while len(steps) < count:
            message = json.loads(ws.recv(timeout=10))
            if message["type"] == "series" and message["name"] == "system/rss_bytes":
                steps.extend(message["step"])
    return steps


def test_a_sampled_job_runs_export_is_still_its_loss_table(server):
    run = httpx.post(f"{server.url}/api/runs", json=LONG_RUN).json()
    wait_for(lambda: len(series(server, run["id"], "system/rss_bytes").get("value", [])) >= 1)
    httpx.post(f"{server.url}/api/runs/{run['id']}/cancel")
    wait_status(server, run["id"])
    lines = server.get(f"/api/runs/{run['id']}/export?format=csv").text.splitlines()
    assert lines[0] == "step,loss,time" and len(lines) > 1
