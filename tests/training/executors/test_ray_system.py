"""System samples under Ray (a local Ray instance): each worker process samples itself and its
node, the samples reach the server in the run's stream, and the cluster shows the node's use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import ray

from server.store.sqlite import Store
from server.training.executors.ray_tasks import RayExecutor
from server.training.manager import RunManager
from server.training.spec import RunSpec
from tests.helpers import TINY, app_client, wait_finished, wait_for

LONG = {"iterations": 10_000_000, **TINY}  # runs until cancelled


@pytest.fixture(scope="module")
def manager(tmp_path_factory) -> Iterator[RunManager]:
    ray.init(address="local", num_cpus=1, include_dashboard=False, log_to_driver=False)
    store = Store(tmp_path_factory.mktemp("ray-store"))
    store.open()
    manager = RunManager(store, executor=RayExecutor(system_every_s=0.2))
    manager.start()
    yield manager
    manager.close()
    store.close()
    ray.shutdown()


def node_of(manager: RunManager, node_id: str) -> dict:
    return next(n for n in manager.executor.cluster()["nodes"] if n["id"] == node_id)


def test_a_ray_runs_samples_reach_the_server_and_the_cluster_shows_its_node(manager):
    run = manager.submit(RunSpec(variant="tensors", **LONG))
    wait_for(lambda: len(run.samples) >= 4, timeout=60)
    node = node_of(manager, run.worker["node"])
    assert 0 <= node["cpu_percent"] <= 100 and node["gpu_util"] is None  # a CPU run
    steps = [s.step for s in run.samples]
    assert steps == sorted(set(steps))  # each at the step it was taken, a step once
    manager.cancel(run.id)
    final = wait_finished(manager, run.id)
    rss = manager.reads.series_points(run.id, "system/rss_bytes")
    assert len(rss) >= 4 and final["peak_rss_bytes"] == int(rss.value.max())
    assert len(manager.reads.series_points(run.id, "system/cpu_percent")) == len(rss)
    # the run has ended: nothing runs on its node to say what the node does
    assert node_of(manager, run.worker["node"])["cpu_percent"] is None


def test_under_ray_the_servers_samples_are_not_the_clusters_devices(manager, tmp_path):
    with app_client(tmp_path, executor="ray", system_every_s=0.1) as client:
        wait_for(lambda: client.app.state.sampler.latest)  # the server has sampled itself
        devices = client.get("/api/system").json()["devices"]
        assert devices[0]["id"] == "cpu" and "Ray node" in devices[0]["name"]
        assert all(d["utilization"] is None and d["memory_used"] is None for d in devices)
