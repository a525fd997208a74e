"""Exact resume on a real server: five variants checkpointing every second are cut by a SIGKILL,
then by a graceful stop, then paused, and each time go on by themselves (or on Resume) to the
very losses of a run that was never stopped, bit for bit (one thread on both sides)."""

from __future__ import annotations

import httpx
import torch
from threadpoolctl import threadpool_limits

from server.store.sqlite import Store
from server.training.drive import drive
from server.training.spec import RunSpec, resolve
from tests.helpers import TINY, ServerProcess, wait_for

STEPS = 20_000
# each sized to train for a few seconds here, five at once
RUNS = {
    "numpy": {"N": 64, "D_in": 500, "H": 100, "D_out": 10},
    "autograd": {"N": 64, "D_in": 200, "H": 50, "D_out": 10},
    "optim": {"optimizer": "adam", **TINY},
    "dynamic": TINY,
    "poly_module": {"points": 1000},
}
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
ENV = {**ONE_THREAD, "LOSSBOARD_CHECKPOINT_EVERY_S": "1", "LOSSBOARD_WORKERS_PER_DEVICE": "5",
       "LOSSBOARD_SYSTEM_EVERY_S": "0"}  # fmt: skip


def request(variant: str) -> dict:
    return {"variant": variant, "device": "cpu", "iterations": STEPS, "seed": 3,
            **RUNS[variant]}  # fmt: skip


def unbroken(body: dict) -> list[float]:
    """The losses of the run computed here in one go, with one thread as the server has."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1, user_api="blas"):
            batches = list(drive(resolve(RunSpec(**body), "cpu"), lambda: None))
    finally:
        torch.set_num_threads(before)
    assert batches[-1].ended == ("completed", None)
    return [loss for batch in batches for loss in batch.loss]


def runs(server: ServerProcess, ids: list[int]) -> list[dict]:
    return [server.get(f"/api/runs/{i}").json() for i in ids]


def all_mid_way_with_a_new_checkpoint(server: ServerProcess, ids: list[int], after: dict) -> bool:
    """Every run trains, short of its end, with a checkpoint later than `after` holds."""
    now = runs(server, ids)
    return all(
        run["status"] == "running"
        and run["checkpoint"] is not None
        and run["checkpoint"]["step"] > after.get(run["id"], 0)
        and run["iteration"] < STEPS - 1000
        for run in now
    )


def steps_of(server: ServerProcess, ids: list[int]) -> dict[int, int]:
    return {run["id"]: run["checkpoint"]["step"] for run in runs(server, ids)}


def test_runs_cut_by_a_kill_a_stop_and_a_pause_equal_unbroken_runs(tmp_path):
    data = tmp_path / "data"
    server = ServerProcess(data, env=ENV).start()
    try:
        ids = [httpx.post(server.url + "/api/runs", json=request(v)).json()["id"] for v in RUNS]
        wait_for(lambda: all_mid_way_with_a_new_checkpoint(server, ids, {}), 120)
        cut = steps_of(server, ids)
        server.kill()  # SIGKILL: no checkpoint, no goodbye

        server.start()  # they resume by themselves
        resumed = wait_for(lambda: all_mid_way_with_a_new_checkpoint(server, ids, cut), 120)
        assert resumed
        cut = steps_of(server, ids)
        # SIGTERM: each checkpoints where it is; uvicorn shuts down in order, then re-raises
        # the signal, so the exit status is the signal's
        assert server.stop() in (0, -15)
        assert "Application shutdown complete" in server.log.read_text()
        stopped = {run["id"]: run for run in runs_from_store(data, ids)}
        assert all(run["status"] == "interrupted" for run in stopped.values())

        server.start()
        wait_for(lambda: all_mid_way_with_a_new_checkpoint(server, ids, cut), 120)
        for run_id in ids:
            assert httpx.post(f"{server.url}/api/runs/{run_id}/pause").status_code == 200
        wait_for(lambda: all(run["status"] == "paused" for run in runs(server, ids)), 60)
        for run_id in ids:
            answer = httpx.post(f"{server.url}/api/runs/{run_id}/resume").json()
            assert answer["checkpoint"] is True and answer["step"] > 0
        done = wait_for(lambda: all(run["status"] == "completed" for run in runs(server, ids)), 300)
        assert done
        for variant, run_id in zip(RUNS, ids, strict=True):
            got = server.get(f"/api/runs/{run_id}/losses").json()
            assert got["step"] == list(range(STEPS)), variant  # each step once
            assert got["loss"] == unbroken(request(variant)), variant
    finally:
        server.stop()


def runs_from_store(data, ids: list[int]) -> list[dict]:
    """The runs as the stopped server left them in its database."""
    store = Store(data)
    try:
        return [row for i in ids if (row := store.get_run(i)) is not None]
    finally:
        store.close()
