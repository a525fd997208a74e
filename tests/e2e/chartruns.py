"""Finished runs with chosen losses, written straight into a store before its server opens it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from server.store.sqlite import Store
from server.training.spec import RunSpec, resolve
from tests.e2e.conftest import serve


def seed_runs(data_dir: Path, runs: list[tuple[str, str | None, np.ndarray]]) -> list[int]:
    """One completed run per (variant, name, losses); their ids, in order."""
    store = Store(data_dir)
    store.open()
    try:
        return [add_run(store, variant, name, loss) for variant, name, loss in runs]
    finally:
        store.close()


def add_run(store: Store, variant: str, name: str | None, loss: np.ndarray) -> int:
    steps = loss.size
    config = resolve(RunSpec(variant=variant, iterations=steps, seed=1), "cpu")
    finite = loss[np.isfinite(loss)]
    now = time.time()
    run_id = store.create_run({
        "variant": variant, "name": name, "config": config.as_dict(), "device": "cpu",
        "status": "completed", "iteration": steps, "last_loss": float(loss[-1]),
        "best_loss": float(finite.min()), "iterations_per_second": 1000.0,
        "created_at": now - 10, "started_at": now - 10, "finished_at": now,
    })  # fmt: skip
    times = np.arange(steps) * 1e-3 + 1e-3
    store.append_losses(run_id, 0, loss.astype(np.float64).tobytes(), times.tobytes())
    store.flush()
    return run_id


@contextmanager
def chart_server(
    data_dir: Path, runs: list[tuple[str, str | None, np.ndarray]]
) -> Iterator[tuple[str, list[int]]]:
    """A real server whose store holds `runs`; yields (its URL, the runs' ids)."""
    ids = seed_runs(data_dir, runs)
    with serve(data_dir) as url:
        yield url, ids


def falling(steps: int, start: float, end: float) -> np.ndarray:
    """Losses falling evenly on a log scale from `start` to `end`."""
    return np.logspace(np.log10(start), np.log10(end), steps)
