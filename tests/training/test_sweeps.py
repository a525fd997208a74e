"""Sweeps on a real manager and store: a server stop leaves a sweep interrupted."""

from __future__ import annotations

from server.training.sweep_spec import SweepSpec
from server.training.sweeps import Sweeps
from tests.helpers import TINY, wait_for

LONG = {"iterations": 10_000_000, "device": "cpu", **TINY}


def test_server_stop_leaves_a_running_sweep_interrupted(store, make_manager):
    manager = make_manager()
    sweeps = Sweeps(manager)
    spec = {"variant": "nn", "params": {"learning_rate": {"values": [1e-6, 1e-5]}}, "base": LONG}
    sweep = sweeps.create(SweepSpec.model_validate(spec))
    wait_for(lambda: sweeps.get(sweep["id"])["counts"]["running"])
    manager.close()
    ended = sweeps.get(sweep["id"])
    assert ended["status"] == "interrupted" and ended["counts"]["interrupted"] == 2


def test_sweep_with_a_run_cancelled_alone_still_completes(store, make_manager):
    manager = make_manager(workers_per_device=0)
    sweeps = Sweeps(manager)
    spec = {"variant": "nn", "seeds": 2, "base": {**LONG, "iterations": 5}}
    sweep = sweeps.create(SweepSpec.model_validate(spec))
    manager.cancel(sweep["run_ids"][0])
    manager.run_queued("cpu")
    ended = wait_for(lambda: (s := sweeps.get(sweep["id"]))["status"] != "running" and s)
    assert ended["status"] == "completed" and ended["counts"]["cancelled"] == 1


def test_sweep_with_a_paused_run_and_none_training_is_paused_until_resumed(store, make_manager):
    manager = make_manager()
    sweeps = Sweeps(manager)
    sweep = sweeps.create(SweepSpec.model_validate({"variant": "nn", "base": LONG}))
    (run_id,) = sweep["run_ids"]
    wait_for(lambda: sweeps.get(sweep["id"])["counts"]["running"])
    manager.steering.pause(run_id)
    paused = wait_for(lambda: (s := sweeps.get(sweep["id"]))["counts"]["paused"] and s)
    assert paused["status"] == "paused"
    manager.steering.resume(run_id)
    assert sweeps.get(sweep["id"])["status"] == "running"  # queued again: going
    wait_for(lambda: manager.reads.get(run_id)["status"] == "running")
    manager.steering.pause(run_id)
    wait_for(lambda: sweeps.get(sweep["id"])["status"] == "paused")
    assert sweeps.cancel(sweep["id"])["status"] == "cancelled"  # it ends the paused run too
    assert manager.reads.get(run_id)["status"] == "cancelled"
