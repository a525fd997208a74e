"""Reading a long run for a plot: GET /api/runs/{id}/losses?max_points=1000 on 1,000,000 steps.

Prints the p50/p95 time of the request (target: under 200 ms), in process, on a real SQLite
store, with the number of points it returned.
"""

from __future__ import annotations

import statistics
import tempfile
import time

import numpy as np
from fastapi.testclient import TestClient

from server.settings import Settings
from server.web.app import create_app

STEPS, REPEATS = 1_000_000, 30


def seed_run(app) -> int:
    """A finished million-step run written through the store, as the engine writes it."""
    store = app.state.manager.store
    run_id = store.create_run(
        {"variant": "tensors", "config": {}, "device": "cpu", "status": "completed",
         "iteration": STEPS, "created_at": time.time()}
    )  # fmt: skip
    loss = 1e7 * np.exp(-np.arange(STEPS) / 50_000) + np.random.default_rng(0).random(STEPS)
    times = np.arange(STEPS) * 1e-4
    for start in range(0, STEPS, 2_000):  # batches as the writer receives them at ~20 Hz
        end = start + 2_000
        store.append_losses(run_id, start, loss[start:end].tobytes(), times[start:end].tobytes())
    store.flush()
    return run_id


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=tmp, playground_prestart=False)
        with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
            run_id = seed_run(client.app)
            url = f"/api/runs/{run_id}/losses"
            client.get(url, params={"max_points": 1000})  # warm-up
            took, points = [], 0
            for _ in range(REPEATS):
                t0 = time.perf_counter()
                body = client.get(url, params={"max_points": 1000}).json()
                took.append((time.perf_counter() - t0) * 1000)
                points = len(body["step"])
            t0 = time.perf_counter()
            whole = client.get(url).json()
            whole_ms = (time.perf_counter() - t0) * 1000
    p50, p95 = statistics.median(took), float(np.percentile(took, 95))
    print(f"losses?max_points=1000 on {STEPS:,} steps: {points} points back")
    print(f"  p50 {p50:.1f} ms, p95 {p95:.1f} ms over {REPEATS} requests (target < 200 ms)")
    print(f"all {len(whole['step']):,} points, undecimated, for comparison: {whole_ms:.0f} ms")


if __name__ == "__main__":
    main()
