"""Downloads whose client goes away or stops reading, against a real `lossboard serve`: the
work stops, its temporary files go at once, and its export slot comes back."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from server.store.sqlite import Store
from tests.helpers import ServerProcess, wait_for

pytestmark = pytest.mark.e2e
STEPS, RUNS = 400_000, 3


def seed_runs(data_dir: Path) -> None:
    """Runs 1..RUNS of STEPS losses each, then run RUNS+1 of 10, written before the server
    opens the store."""
    store = Store(data_dir)
    store.open()
    for seed, steps in enumerate([STEPS] * RUNS + [10]):
        row = {"variant": "tensors", "config": {"seed": seed}, "device": "cpu",
               "status": "completed", "iteration": steps, "created_at": 0.0}  # fmt: skip
        run_id = store.create_run(row)
        loss, times = np.linspace(1e3, 1e-3, steps).tobytes(), (np.arange(steps) * 1e-4).tobytes()
        for start in range(0, steps, 50_000):
            piece = slice(start * 8, min(start + 50_000, steps) * 8)
            store.append_losses(run_id, start, loss[piece], times[piece])
    store.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("abandoned")
    (root / "tmp").mkdir()
    seed_runs(root / "data")
    env = {"TMPDIR": str(root / "tmp"), "LOSSBOARD_MAX_EXPORTS": "1",
           "LOSSBOARD_EXPORT_SEND_TIMEOUT_S": "2"}  # fmt: skip
    with ServerProcess(root / "data", env=env) as server:
        server.tmp = root / "tmp"
        yield server


def slot_free(server: ServerProcess) -> bool:
    """The one export slot is free: a small download is answered, not refused with 429."""
    url = f"{server.url}/api/runs/{RUNS + 1}/export"
    with httpx.stream("GET", url, timeout=30) as response:
        for _ in response.iter_bytes():
            pass
        return response.status_code == 200


def test_tensorboard_export_stops_and_cleans_up_when_its_client_leaves(server):
    url = f"{server.url}/api/runs/export?ids=1,2,3&format=tensorboard"
    with httpx.stream("GET", url, timeout=30) as response:
        assert response.status_code == 200
        wait_for(lambda: list(server.tmp.glob("lossboard-export-*")), timeout=10)
    # the client has hung up while the server computes the runs' events
    wait_for(lambda: not list(server.tmp.glob("lossboard-export-*")), timeout=10)
    wait_for(lambda: slot_free(server), timeout=10)


def test_export_to_a_client_that_never_reads_ends_and_frees_its_slot(server):
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        sock.sendall(b"GET /api/runs/export?ids=1,2,3&format=csv HTTP/1.1\r\n"
                     b"Host: 127.0.0.1\r\n\r\n")  # fmt: skip
        wait_for(lambda: not slot_free(server), timeout=10)  # it holds the slot...
        wait_for(lambda: slot_free(server), timeout=20)  # ...until its send times out
    finally:
        sock.close()
