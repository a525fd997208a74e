"""Exports of a million-step run against a real server: max_exports at once, in flat memory."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from server.store.sqlite import Store
from tests.helpers import TINY, ServerProcess, wait_for
from tests.web.stored import store_run

pytestmark = pytest.mark.e2e
STEPS = 1_000_000
REQUESTS = 10
MAX_EXPORTS = 4  # the default
MAX_GROWTH = 200 * 2**20  # bytes of RSS over the server's own at start
# what each format has once per step: a CSV line, a JSON row
ROW_MARK = {"csv": b"\n", "json": b'"step":'}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real server on a data dir holding one finished run of a million steps."""
    data = tmp_path_factory.mktemp("data")
    store = Store(data)
    store.open()
    try:
        store_run(store, STEPS, batch=50_000)
    finally:
        store.close()
    env = {"LOSSBOARD_LOG_LEVEL": "warning", "LOSSBOARD_PLAYGROUND_PRESTART": "false"}
    with ServerProcess(data, env=env) as server:
        yield server


@pytest.fixture(scope="module")
def sweep_id(server) -> int:
    """A one-run sweep of a few steps on that server."""
    sweep = {"variant": "tensors", "params": {"learning_rate": {"values": [1e-4]}},
             "base": {"iterations": 5, "device": "cpu", **TINY}}  # fmt: skip
    response = httpx.post(f"{server.url}/api/sweeps", json=sweep)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def count(response: httpx.Response, mark: bytes) -> int:
    """How often `mark` occurs in a streamed body, read a chunk at a time."""
    found, tail = 0, b""
    for chunk in response.iter_bytes():
        window = tail + chunk
        found += window.count(mark)
        tail = window[-(len(mark) - 1) :] if len(mark) > 1 else b""
        found -= tail.count(mark)  # counted again with the next chunk otherwise
    return found + tail.count(mark)


def export(server, format: str, everyone_asked: threading.Barrier) -> tuple[int, int]:
    """Ask for the run's export; once every request has its status, read it: (status, rows)."""
    url = f"{server.url}/api/runs/1/export"
    with httpx.Client(timeout=120) as http, http.stream("GET", url, params={"format": format}) as r:
        everyone_asked.wait(60)  # the answered ones hold their slots until now
        rows = count(r, ROW_MARK[format]) if r.status_code == 200 else 0
        return r.status_code, rows


def test_ten_exports_at_once_get_four_answers_and_six_429s_in_flat_memory(server):
    start = server.rss_bytes()
    barrier = threading.Barrier(REQUESTS)
    formats = ["csv", "json"] * (REQUESTS // 2)
    with ThreadPoolExecutor(REQUESTS) as pool:
        answers = list(pool.map(lambda f: export(server, f, barrier), formats))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * MAX_EXPORTS + [429] * (REQUESTS - MAX_EXPORTS)
    # every answer is whole: a CSV has its header line too
    assert all(rows in (STEPS, STEPS + 1) for status, rows in answers if status == 200)
    assert server.rss_bytes(peak=True) - start < MAX_GROWTH


def test_export_slot_comes_back_when_a_client_leaves_mid_download(server):
    url = f"{server.url}/api/runs/1/export"
    with httpx.Client(timeout=60) as http:
        held = [http.send(http.build_request("GET", url), stream=True) for _ in range(MAX_EXPORTS)]
        assert http.get(url).status_code == 429
        next(held[0].iter_bytes())  # a little of it, then away
        held[0].close()
        with_room = lambda: next_status(http, url) == 200  # noqa: E731
        wait_for(with_room)
        for response in held[1:]:
            response.close()


def next_status(http: httpx.Client, url: str) -> int:
    """The status of a new export request, which gives its slot back at once."""
    with http.stream("GET", url) as response:
        return response.status_code


def test_runs_and_sweep_exports_are_refused_past_max_exports(server, sweep_id):
    url = f"{server.url}/api/runs/1/export"
    many = [
        (path, {**query, "format": format})
        for path, query in (
            ("/api/runs/export", {"ids": "1"}),
            (f"/api/sweeps/{sweep_id}/export", {}),
        )
        for format in ("csv", "tensorboard")
    ]
    with httpx.Client(timeout=60) as http:
        held = [http.send(http.build_request("GET", url), stream=True) for _ in range(MAX_EXPORTS)]
        try:
            statuses = [http.get(f"{server.url}{path}", params=query) for path, query in many]
        finally:
            for response in held:
                response.close()
    assert [r.status_code for r in statuses] == [429] * len(many)
    assert all("exports are streaming" in r.json()["detail"] for r in statuses)
