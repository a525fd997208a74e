"""Many full /losses pages of a long run at once, against a real `lossboard serve`: each is
written as it is read, a piece at a time, so the server's memory stays bounded."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest

from server.store.sqlite import Store
from tests.helpers import ServerProcess

pytestmark = pytest.mark.e2e
STEPS, CLIENTS, MB = 300_000, 20, 2**20


def seed_run(data_dir) -> int:
    """A finished run of STEPS losses, written into the store the server will open."""
    store = Store(data_dir)
    store.open()
    row = {"variant": "tensors", "config": {}, "device": "cpu", "status": "completed",
           "iteration": STEPS, "created_at": 0.0}  # fmt: skip
    run_id = store.create_run(row)
    loss, times = np.linspace(1e3, 1e-3, STEPS), np.arange(STEPS) * 1e-4
    for start in range(0, STEPS, 50_000):
        end = start + 50_000
        store.append_losses(run_id, start, loss[start:end].tobytes(), times[start:end].tobytes())
    store.close()
    return run_id


def test_real_server_writes_full_loss_pages_in_pieces(tmp_path):
    run_id = seed_run(tmp_path / "data")
    with ServerProcess(tmp_path / "data") as server:
        url = f"{server.url}/api/runs/{run_id}/losses"
        assert len(httpx.get(url, timeout=60).json()["step"]) == STEPS  # warm: one page
        one = server.rss_bytes(peak=True) - server.rss_bytes()
        before = server.rss_bytes()
        with ThreadPoolExecutor(CLIENTS) as pool:
            sizes = list(
                pool.map(lambda _: len(httpx.get(url, timeout=120).content), range(CLIENTS))
            )
        assert len(set(sizes)) == 1
        growth = server.rss_bytes(peak=True) - before
        # built whole, one at a time, the pages' bodies piled up while sent: 72 MB (one, 18)
        assert growth < 50 * MB, f"{growth / MB:.0f} MB (one page: {one / MB:.0f} MB)"
        assert server.get("/healthz").status_code == 200
