"""RunManager: queues, cancel, divergence, failures, and the refusal of bad requests."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time

import pytest
import torch
from pydantic import ValidationError
from threadpoolctl import threadpool_limits

from server.system.malloc import glibc
from server.training import registry
from server.training.devices import Device
from server.training.spec import ConfigError, RunSpec
from tests.helpers import TINY, wait_finished, wait_for

MISSING = object()


def test_run_completes_with_every_loss_stored(manager, store):
    run = manager.submit(RunSpec(variant="tensors", iterations=300, seed=1, **TINY))
    final = wait_finished(manager, run.id)
    assert final["status"] == "completed"
    assert final["iteration"] == 300
    _, loss, times = store.read_losses(run.id)
    assert len(loss) == 300 and len(times) == 300
    assert final["last_loss"] == loss[-1] and final["best_loss"] == loss.min()
    assert final["iterations_per_second"] > 0
    assert list(times) == sorted(times)


@pytest.mark.skipif(glibc() is None, reason="glibc's malloc only")
def test_a_finished_run_is_let_go_and_its_memory_trimmed(manager):
    manager.trim.every_s = 0  # every forgotten run trims (the server's trims once a second)
    runs = [manager.submit(RunSpec(variant="tensors", iterations=50, **TINY)) for _ in range(2)]
    for run in runs:
        wait_finished(manager, run.id)
    wait_for(lambda: not manager._live)  # forgotten once stored
    assert manager.trim.trims == 2


@pytest.mark.parametrize("count", [1, 2])
def test_run_records_the_thread_counts_it_computes_with(manager, count):
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        with threadpool_limits(count, user_api="blas"):
            run = manager.submit(RunSpec(variant="numpy", iterations=2, **TINY))
            worker = wait_finished(manager, run.id)["worker"]
    finally:
        torch.set_num_threads(before)
    assert (worker["threads"], worker["blas_threads"]) == (count, count)
    assert worker["executor"] == "local" and worker["node"] == "local"
    assert worker["device"] == "cpu" and worker["host"] == socket.gethostname()


def test_two_identical_runs_at_once_give_the_same_losses(make_manager, store):
    manager = make_manager(workers_per_device=2)
    spec = RunSpec(variant="autograd", iterations=1000, seed=11)
    a, b = manager.submit(spec), manager.submit(spec)
    wait_for(lambda: a.status == "running" and b.status == "running")  # truly side by side
    wait_finished(manager, a.id), wait_finished(manager, b.id)
    loss_a, loss_b = store.read_losses(a.id)[1], store.read_losses(b.id)[1]
    assert len(loss_a) == 1000
    assert loss_a == pytest.approx(loss_b, rel=1e-6)


def test_cancel_running_run_stops_within_one_second_keeping_losses(manager, store):
    run = manager.submit(RunSpec(variant="tensors", iterations=1_000_000, **TINY))
    wait_for(lambda: len(run.losses) > 100)
    asked = time.monotonic()
    manager.cancel(run.id)
    wait_for(lambda: run.status == "cancelled", timeout=1.0)
    assert time.monotonic() - asked < 1.0
    final = wait_finished(manager, run.id)
    assert final["status"] == "cancelled" and final["error"] is None
    assert 100 < final["iteration"] < 1_000_000
    assert len(store.read_losses(run.id)[1]) == final["iteration"]


def test_cancel_queued_run_never_starts(manager, store):
    first = manager.submit(RunSpec(variant="tensors", iterations=1_000_000, **TINY))
    queued = manager.submit(RunSpec(variant="tensors", iterations=10, **TINY))
    assert manager.cancel(queued.id)["status"] == "cancelled"
    manager.cancel(first.id)
    final = wait_finished(manager, queued.id)
    wait_finished(manager, first.id)
    assert final["started_at"] is None and final["iteration"] == 0
    assert len(store.read_losses(queued.id)[1]) == 0


def test_cancel_twice_and_after_finish_is_harmless(manager):
    run = manager.submit(RunSpec(variant="numpy", iterations=5, **TINY))
    wait_finished(manager, run.id)
    assert manager.cancel(run.id)["status"] == "completed"
    assert manager.cancel(run.id)["status"] == "completed"


def test_numpy_with_large_learning_rate_diverges_naming_iteration(manager, store):
    run = manager.submit(RunSpec(variant="numpy", learning_rate=1e-2, seed=0))
    final = wait_finished(manager, run.id)
    assert final["status"] == "diverged"
    at = final["iteration"]
    assert f"at iteration {at}" in final["error"]
    assert 0 < at < 500 and len(store.read_losses(run.id)[1]) == at


def failing_variant(cfg):
    yield 1.0
    raise RuntimeError("the loop broke\nwith a long traceback-like tail")


def oom_variant(cfg):
    yield 1.0
    raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")


@pytest.mark.parametrize(
    ("variant", "message"),
    [(failing_variant, "RuntimeError: the loop broke"), (oom_variant, "out of memory on cpu")],
)
def test_failing_loop_fails_the_run_and_manager_keeps_serving(
    manager, monkeypatch, variant, message
):
    broken = dataclasses.replace(registry.variant("tensors"), loop=variant)
    monkeypatch.setitem(registry.REGISTRY, "tensors", broken)
    run = manager.submit(RunSpec(variant="tensors", **TINY))
    final = wait_finished(manager, run.id)
    assert final["status"] == "failed" and final["error"].startswith(message)
    assert "\n" not in final["error"]
    monkeypatch.undo()
    after = manager.submit(RunSpec(variant="tensors", iterations=20, **TINY))
    assert wait_finished(manager, after.id)["status"] == "completed"


def test_manager_stopped_midway_leaves_run_interrupted(store):
    from server.training.manager import RunManager

    manager = RunManager(store)
    manager.start()
    running = manager.submit(RunSpec(variant="tensors", iterations=1_000_000, **TINY))
    queued = manager.submit(RunSpec(variant="tensors", iterations=10, **TINY))
    wait_for(lambda: len(running.losses) > 10)
    manager.close()
    for run_id in (running.id, queued.id):
        row = store.get_run(run_id)
        assert row["status"] == "interrupted"
        assert "server stopped" in row["error"]
    assert store.get_run(running.id)["iteration"] == len(store.read_losses(running.id)[1]) > 10


@pytest.mark.parametrize(
    ("device", "variant", "words"),
    [
        ("cuda", "tensors", "not present"),
        ("cuda:3", "nn", "not present"),
        ("mps", "autograd", "not present"),
        ("cuda", "numpy", "only on the CPU"),
        ("tpu", "tensors", "is not auto, cpu"),
        ("cpu:1", "tensors", "no index"),
    ],
)
def test_unusable_device_refused_naming_device(manager, device, variant, words):
    with pytest.raises(ConfigError) as info:
        manager.submit(RunSpec(variant=variant, device=device))
    assert info.value.field == "device" and words in info.value.message


def test_numpy_on_present_gpu_refused(make_manager):
    fake_gpu = Device("cuda:0", "cuda", "Pretend GPU", 80 * 2**30)
    manager = make_manager(devices=[Device("cpu", "cpu", "cpu"), fake_gpu])
    with pytest.raises(ConfigError, match="only on the CPU"):
        manager.submit(RunSpec(variant="numpy", device="cuda:0"))
    # and "auto" for numpy picks the CPU even with a GPU present
    run = manager.submit(RunSpec(variant="numpy", device="auto", iterations=2, **TINY))
    assert run.config.device == "cpu"


def test_size_cap_refuses_before_allocating(manager, store):
    with pytest.raises(ConfigError) as info:
        manager.submit(RunSpec(variant="tensors", N=10**6, D_in=10**6))
    assert info.value.field in ("N", "D_in") and "over the cap" in info.value.message
    assert store.list_runs()[1] == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"variant": "resnet"}, "variant"),
        ({"variant": MISSING}, "variant"),
        ({"iterations": 0}, "iterations"),
        ({"iterations": 2**63}, "iterations"),  # past SQLite; the server caps it lower
        ({"learning_rate": 0}, "learning_rate"),
        ({"learning_rate": -1e-3}, "learning_rate"),
        ({"learning_rate": float("inf")}, "learning_rate"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"optimizer": "rmsprop", "variant": "optim"}, "optimizer"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**63}, "seed"),
        ({"N": 0}, "N"),
        ({"D_in": -5}, "D_in"),
        ({"H": 0}, "H"),
        ({"D_out": 0}, "D_out"),
        ({"dtype": "float16"}, "dtype"),
        ({"name": "x" * 201}, "name"),
        ({"device": "c" * 40}, "device"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_run_request_refused_naming_field(fields, field):
    with pytest.raises(ValidationError) as info:
        kwargs = {"variant": "tensors", **fields}
        RunSpec(**{k: v for k, v in kwargs.items() if v is not MISSING})
    assert field in {str(loc) for err in info.value.errors() for loc in err["loc"]}


def test_optimizer_on_other_variant_refused_naming_optimizer():
    with pytest.raises(ValidationError, match="optimizer applies only to the optim"):
        RunSpec(variant="nn", optimizer="adam")


def test_defaults_follow_the_tutorial(manager):
    runs = {
        v: manager.submit(RunSpec(variant=v, iterations=1, **TINY))
        for v in ("numpy", "optim", "custom_module")
    }
    adam = manager.submit(RunSpec(variant="optim", optimizer="adam", iterations=1, **TINY))
    assert runs["numpy"].config.learning_rate == 1e-6 and runs["numpy"].config.dtype == "float64"
    assert runs["optim"].config.optimizer == "sgd" and runs["optim"].config.dtype == "float32"
    assert runs["custom_module"].config.optimizer == "adam"
    assert runs["custom_module"].config.learning_rate == 1e-4
    assert adam.config.learning_rate == 1e-4
    assert 0 <= runs["numpy"].config.seed < 2**32
    for run in [*runs.values(), adam]:
        wait_finished(manager, run.id)


def test_optimizer_refusal_is_located_on_the_optimizer_field():
    with pytest.raises(ValidationError) as info:
        RunSpec(variant="autograd", optimizer="sgd")
    assert info.value.errors()[0]["loc"] == ("optimizer",)


def test_a_manager_without_workers_trains_on_the_callers_thread(make_manager, store):
    manager = make_manager(workers_per_device=0)
    started_on: dict[int, str] = {}
    manager.add_listener(
        lambda run, event: (
            run.status == "running"
            and started_on.setdefault(run.id, threading.current_thread().name)
        )
    )
    first = manager.submit(RunSpec(variant="numpy", iterations=20, seed=3, **TINY))
    second = manager.submit(RunSpec(variant="nn", iterations=30, seed=3, **TINY))
    time.sleep(0.1)
    assert (first.status, second.status) == ("queued", "queued")  # no thread took them

    manager.run_queued("cpu")  # returns once both have run, in order
    assert (first.status, second.status) == ("completed", "completed")
    assert started_on == {first.id: "MainThread", second.id: "MainThread"}
    assert first.started_at <= first.finished_at <= second.started_at
    store.flush()
    assert len(store.read_losses(second.id)[1]) == 30

    third = manager.submit(RunSpec(variant="tensors", iterations=5, **TINY))
    manager.run_queued("cpu")  # the queue still works after a drain
    assert third.status == "completed"


def test_run_queued_refuses_a_manager_with_workers(manager):
    with pytest.raises(RuntimeError, match="workers_per_device=0"):
        manager.run_queued("cpu")


def test_queued_counts_the_runs_waiting_in_each_lane(make_manager):
    manager = make_manager(workers_per_device=0)
    assert manager.reads.queued() == {"cpu": 0}
    runs = [manager.submit(RunSpec(variant="nn", iterations=2, **TINY)) for _ in range(2)]
    assert manager.reads.queued() == {"cpu": 2}
    manager.cancel(runs[0].id)
    assert manager.reads.queued() == {"cpu": 1}
    manager.run_queued("cpu")
    assert manager.reads.queued() == {"cpu": 0}


def test_queue_places_leave_out_runs_a_sweeps_gate_holds(make_manager):
    manager = make_manager(workers_per_device=0)
    spec = RunSpec(variant="numpy", iterations=2, **TINY)
    sweep = [manager.prepare(spec) for _ in range(4)]
    manager.submit_group(sweep, lambda rows: [manager.store.create_run(r) for r in rows], 1)
    later = manager.submit(spec)
    places = manager.reads.queue_places()
    assert places == {sweep[0].id: {"lane": "cpu", "ahead": 0},
                      later.id: {"lane": "cpu", "ahead": 1}}  # fmt: skip
    manager.run_queued("cpu")  # the first sweep run ends: the gate lets the second in, last
    assert manager.reads.queue_places() == {sweep[1].id: {"lane": "cpu", "ahead": 0}}


def test_prune_stops_a_running_run_within_one_iteration_as_pruned(manager, store):
    seen: list[int] = []

    def prune_at_first_batch(run, event):
        if event == "points" and not seen:
            seen.append(len(run.losses))
            manager.prune(run.id)  # on the worker's thread, while its loop waits at a batch

    manager.add_listener(prune_at_first_batch)
    run = manager.submit(RunSpec(variant="tensors", iterations=1_000_000, **TINY))
    final = wait_finished(manager, run.id)
    assert final["status"] == "pruned" and final["error"] is None
    assert final["iteration"] == seen[0] + 1 == len(store.read_losses(run.id)[1])
