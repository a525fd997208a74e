"""The Ray executor on a local Ray instance (two CPUs, shared by the module): the same losses as
the local executor to the last bit, every point streamed once, cancel, failures, divergence."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import ray
import torch
from threadpoolctl import threadpool_limits

import server
from server.store.sqlite import Store
from server.training import registry
from server.training.drive import drive
from server.training.executors import Worker
from server.training.executors.ray_tasks import RayExecutor
from server.training.manager import RunManager
from server.training.spec import RunSpec, TrainConfig, resolve
from tests.helpers import TINY, app_client, wait_finished, wait_for

LONG = {"iterations": 10_000_000, **TINY}  # runs until cancelled


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    """One Ray instance for the module."""
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def manager(tmp_path_factory) -> Iterator[RunManager]:
    store = Store(tmp_path_factory.mktemp("ray-store"))
    store.open()
    manager = RunManager(store, executor=RayExecutor())
    manager.start()
    yield manager
    manager.close()
    store.close()


def local_losses(spec: RunSpec) -> list[float]:
    """The run's losses on this thread, as the local executor computes them, one thread each."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1, user_api="blas"):
            batches = list(drive(resolve(spec, "cpu"), lambda: None))
    finally:
        torch.set_num_threads(before)
    assert batches[-1].ended == ("completed", None)
    return [loss for batch in batches for loss in batch.loss]


@pytest.mark.parametrize("seed", [0, 7])
@pytest.mark.parametrize("variant", [v.id for v in registry.variants()])
def test_ray_run_gives_the_local_executors_losses_bit_for_bit(manager, variant, seed):
    spec = RunSpec(variant=variant, device="cpu", iterations=50, seed=seed)
    run = manager.submit(spec)
    final = wait_finished(manager, run.id)
    assert final["status"] == "completed", final["error"]
    assert final["worker"]["executor"] == "ray" and final["worker"]["threads"] == 1
    assert manager.reads.losses(run.id)[1].tolist() == local_losses(spec)


def test_ray_run_records_the_node_it_ran_on(manager):
    run = manager.submit(RunSpec(variant="nn", device="auto", iterations=5, **TINY))
    worker = wait_finished(manager, run.id)["worker"]
    assert worker["node"] == ray.get_runtime_context().get_node_id()
    assert worker["device"] == "cpu" and run.config.device == "cpu"  # no GPU in this cluster


def test_ray_refuses_a_numbered_gpu_naming_cuda_instead(manager):
    with pytest.raises(Exception, match="use cuda, not cuda:N"):
        manager.submit(RunSpec(variant="nn", device="cuda:0", **TINY))


def test_ray_stream_sends_every_point_once_then_the_final_status(tmp_path):
    with app_client(tmp_path, executor="ray") as client:
        body = {"variant": "tensors", "iterations": 3000, **TINY}
        run = client.post("/api/runs", json=body).json()
        steps, statuses = [], []
        with client.websocket_connect(f"/ws/runs/{run['id']}") as socket:
            while not statuses or statuses[-1] in ("queued", "running"):
                message = socket.receive_json()
                if message["type"] == "points":
                    steps.extend(range(message["start"], message["start"] + len(message["loss"])))
                else:
                    statuses.append(message["run"]["status"])
    assert steps == list(range(3000)) and statuses[-1] == "completed"


def test_ray_cancel_stops_a_running_run_within_two_seconds_keeping_its_losses(manager):
    run = manager.submit(RunSpec(variant="tensors", **LONG))
    wait_for(lambda: len(run.losses) > 100)
    asked = time.monotonic()
    manager.cancel(run.id)
    final = wait_finished(manager, run.id)
    assert final["status"] == "cancelled" and time.monotonic() - asked < 2
    assert final["iteration"] >= 100 and len(manager.reads.losses(run.id)[1]) == final["iteration"]


def test_ray_cancel_of_a_queued_run_never_starts_it(manager):
    busy = [manager.submit(RunSpec(variant="tensors", **LONG)) for _ in range(2)]  # both CPUs
    queued = manager.submit(RunSpec(variant="tensors", **LONG))
    manager.cancel(queued.id)
    for run in busy:
        manager.cancel(run.id)
    final = wait_finished(manager, queued.id)
    assert final["status"] == "cancelled" and final["worker"] is None and final["iteration"] == 0
    for run in busy:
        assert wait_finished(manager, run.id)["status"] == "cancelled"


def test_ray_loop_that_raises_ends_failed_with_its_error():
    config = TrainConfig("autograd", "cpu", 5, 1e-6, None, 0, 8, 16, 16, 1, "int64")
    items = list(RayExecutor().execute(1, config, lambda: None))
    assert isinstance(items[0], Worker)
    status, error = items[-1].ended
    assert status == "failed" and error.startswith("RuntimeError: only Tensors of floating point")


def test_ray_run_on_a_node_with_another_lossboard_fails_at_once_naming_both(monkeypatch):
    monkeypatch.setattr(server, "__version__", "9.9.9")  # the server's; the node keeps its own
    config = TrainConfig("nn", "cpu", 5, 1e-6, None, 0, 8, 16, 16, 1, "float32")
    status, error = list(RayExecutor().execute(1, config, lambda: None))[-1].ended
    assert status == "failed" and "9.9.9" in error and "0.1.0" in error


def test_ray_diverging_run_ends_diverged_naming_the_iteration(manager):
    run = manager.submit(RunSpec(variant="numpy", learning_rate=1.0, iterations=500, **TINY))
    final = wait_finished(manager, run.id)
    assert final["status"] == "diverged" and "at iteration" in final["error"]


def test_ray_runs_a_stopping_server_cuts_short_end_interrupted(tmp_path):
    store = Store(tmp_path)
    store.open()
    manager = RunManager(store, executor=RayExecutor())
    manager.start()
    run = manager.submit(RunSpec(variant="tensors", **LONG))
    wait_for(lambda: len(run.losses) > 10)
    manager.close()
    final = store.get_run(run.id)
    store.close()
    assert final["status"] == "interrupted" and final["iteration"] > 10
    assert final["error"] == "the server stopped while the run was running"


def test_ray_run_pauses_takes_live_changes_and_reruns_bit_for_bit(manager):
    spec = RunSpec(variant="optim", optimizer="adam", device="cpu", iterations=20_000, seed=4,
                   **TINY)  # fmt: skip
    run = manager.submit(spec)
    wait_for(lambda: len(run.losses) > 1000)
    manager.steering.pause(run.id)  # the task hears it through the board, at its next step
    wait_for(lambda: run.status == "paused" and run.checkpoint, timeout=30)
    assert run.checkpoint["step"] == len(run.losses)  # its loop stopped there, checkpointed
    manager.steering.hyper(run.id, {"learning_rate": 2e-4})
    manager.steering.resume(run.id)
    wait_for(lambda: run.status == "running" and len(run.losses) > run.checkpoint["step"] + 500)
    manager.steering.hyper(run.id, {"learning_rate": 5e-5})  # live, through the board
    final = wait_finished(manager, run.id)
    assert final["status"] == "completed" and len(final["events"]) == 2
    again = manager.rerun(run.id, {})  # its changes are in its request: the same run again
    assert wait_finished(manager, again.id)["status"] == "completed"
    got = manager.reads.losses(run.id)[1].tolist()
    assert manager.reads.losses(again.id)[1].tolist() == got
    first = final["events"][0]["step"]  # until the first change, the unbroken run's losses
    assert got[: first + 1] == local_losses(spec)[: first + 1] and len(got) == 20_000
