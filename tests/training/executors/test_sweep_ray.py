"""The same sweep on the local executor and on a local Ray instance: the same losses, bit for
bit, with one torch thread on both."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import ray
import torch
from threadpoolctl import threadpool_limits

from server.store.sqlite import Store
from server.training.executors.ray_tasks import RayExecutor
from server.training.manager import RunManager
from server.training.sweep_spec import SweepSpec
from server.training.sweeps import Sweeps
from tests.helpers import TINY, wait_for

SPEC = {
    "variants": ["nn", "optim"],
    "method": "grid",
    "params": {"learning_rate": {"values": [1e-5, 1e-4]}},
    "seeds": 2,
    "base": {"iterations": 40, "device": "cpu", "seed": 3, **TINY},
}


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    """One Ray instance for the module, its workers on one OpenMP thread each."""
    before = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = "1"  # read by the workers Ray starts
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()
    if before is None:
        del os.environ["OMP_NUM_THREADS"]
    else:
        os.environ["OMP_NUM_THREADS"] = before


def losses_of(manager: RunManager, sweep: dict) -> list[tuple[dict, list[float]]]:
    """Each run's sweep_params and seed, its thread count, and its losses, in run order."""
    out = []
    for run_id in sweep["run_ids"]:
        run = manager.reads.get(run_id)
        assert run is not None and run["status"] == "completed", run
        key = {**run["sweep_params"], "seed": run["config"]["seed"]}
        threads = run["worker"]["threads"]
        out.append((key, threads, manager.reads.losses(run_id)[1].tolist()))
    return out


def local_sweep(data_dir) -> list:
    """The sweep trained on this thread, with one torch and one BLAS thread."""
    store = Store(data_dir)
    store.open()
    manager = RunManager(store, workers_per_device=0)
    manager.start()
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        sweep = Sweeps(manager).create(SweepSpec.model_validate(SPEC))
        with threadpool_limits(1, user_api="blas"):
            manager.run_queued("cpu")
        return losses_of(manager, sweep)
    finally:
        torch.set_num_threads(before)
        manager.close()
        store.close()


def ray_sweep(data_dir) -> list:
    store = Store(data_dir)
    store.open()
    manager = RunManager(store, executor=RayExecutor())
    manager.start()
    try:
        sweeps = Sweeps(manager)
        sweep = sweeps.create(SweepSpec.model_validate(SPEC))
        done = wait_for(lambda: (s := sweeps.get(sweep["id"]))["status"] != "running" and s, 120)
        wait_for(lambda: all(manager.reads.live_run(i) is None for i in sweep["run_ids"]))
        assert done["status"] == "completed"
        return losses_of(manager, sweep)
    finally:
        manager.close()
        store.close()


def test_sweep_on_ray_gives_the_local_executors_losses_bit_for_bit(tmp_path):
    local = local_sweep(tmp_path / "local")
    remote = ray_sweep(tmp_path / "ray")
    assert len(local) == 8 and [r[0] for r in remote] == [r[0] for r in local]
    assert {r[1] for r in local} == {r[1] for r in remote} == {1}
    assert [r[2] for r in remote] == [r[2] for r in local]
