"""Ingest against a real `lossboard serve` that is SIGKILLed between two batches: the batch
it acknowledged before dying is stored, and replayed to the next server it is stored once."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from tests.helpers import ServerProcess

pytestmark = pytest.mark.e2e
SERIES = ("loss", "val/acc", "lr")
PER_BATCH = 100


def batch(seq: int) -> dict:
    """Batch `seq` of three series: steps seq*100 ... seq*100+99, values seeded by seq."""
    steps = list(range(seq * PER_BATCH, (seq + 1) * PER_BATCH))
    values = np.random.default_rng(seq).standard_normal((len(SERIES), PER_BATCH))
    return {"seq": seq, "series": {name: {"step": steps, "value": values[i].tolist(),
                                          "time": [s / 100 for s in steps]}
                                   for i, name in enumerate(SERIES)}}  # fmt: skip


def post(server: ServerProcess, path: str, body: dict) -> dict:
    response = httpx.post(server.url + path, json=body, timeout=10)
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_replay_after_a_sigkill_stores_every_point_exactly_once(tmp_path):
    data = tmp_path / "data"
    with ServerProcess(data) as server:
        run_id = post(server, "/api/ingest/runs", {"client_key": "k"})["run"]["id"]
        for seq in range(4):
            assert post(server, f"/api/ingest/runs/{run_id}/points", batch(seq))["stored"] == 300
        server.kill()  # the answer to batch 3 came; say the client never saw it
    with ServerProcess(data) as server:
        opened = post(server, "/api/ingest/runs", {"client_key": "k"})
        assert opened["run"]["status"] == "running" and opened["last_seq"] == 3
        assert opened["last_steps"] == dict.fromkeys(SERIES, 4 * PER_BATCH - 1)
        assert post(server, f"/api/ingest/runs/{run_id}/points", batch(3))["stored"] == 0
        for seq in range(4, 8):
            assert post(server, f"/api/ingest/runs/{run_id}/points", batch(seq))["stored"] == 300
        post(server, f"/api/ingest/runs/{run_id}/finish", {"status": "completed"})
        pages = {name: server.get(f"/api/runs/{run_id}/series/{name}").json() for name in SERIES}
    for i, name in enumerate(SERIES):
        sent = np.concatenate([np.random.default_rng(s).standard_normal((3, PER_BATCH))[i]
                               for s in range(8)])  # fmt: skip
        assert pages[name]["step"] == list(range(8 * PER_BATCH))  # each step once, in order
        assert np.array(pages[name]["value"]).tobytes() == sent.tobytes()  # bit for bit
