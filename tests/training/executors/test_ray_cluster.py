"""Two Ray nodes on one machine (`ray.cluster_utils.Cluster`, one CPU each): runs spread over
them, /api/system lists them, and a run whose node dies goes on on the other node from its
last checkpoint, to the same losses as a run that never stopped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import ray
import torch
from fastapi.testclient import TestClient
from ray.cluster_utils import Cluster

from server.training.drive import drive
from server.training.spec import RunSpec, resolve
from tests.helpers import TINY, app_client, wait_for, wait_status

LONG = {"variant": "tensors", "device": "cpu", "iterations": 150_000, **TINY}  # ~10 s here
# a run that checkpoints (its loop has state hooks), a few seconds long
STEERED = {"variant": "optim", "optimizer": "adam", "device": "cpu", "iterations": 40_000,
           "seed": 5, **TINY}  # fmt: skip


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """A head and one more node."""
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    ray.init(address=cluster.address, log_to_driver=False)
    yield cluster
    ray.shutdown()
    cluster.shutdown()


@pytest.fixture(scope="module")
def client(cluster, tmp_path_factory) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("cluster")
    with app_client(data, executor="ray", checkpoint_every_s=0.5) as client:
        yield client


def start_two(client: TestClient, request: dict = LONG) -> dict[str, dict]:
    """Start two long runs and wait until both train; each by the node it runs on."""
    ids = [client.post("/api/runs", json=request).json()["id"] for _ in range(2)]
    runs = [wait_for(lambda i=i: started(client.get(f"/api/runs/{i}").json())) for i in ids]
    return {run["worker"]["node"]: run for run in runs}


def started(run: dict) -> dict | None:
    return run if run["worker"] else None


def test_system_lists_both_nodes_with_their_cpus(client, cluster):
    system = client.get("/api/system").json()
    assert system["executor"] == "ray" and system["cluster"]["reachable"] is True
    nodes = system["cluster"]["nodes"]
    assert len(nodes) == 2 and all(n["alive"] and n["cpus"] == 1 for n in nodes)
    assert system["devices"][0]["id"] == "cpu" and len(system["devices"]) == 1  # no GPU


def test_two_runs_started_together_run_on_different_nodes(client):
    runs = start_two(client)
    assert len(runs) == 2  # two nodes
    for run in runs.values():
        client.post(f"/api/runs/{run['id']}/cancel")


def test_a_run_whose_node_dies_resumes_on_the_other_one_and_equals_an_unbroken_run(client, cluster):
    wait_for(lambda: not client.get("/api/runs", params={"status": "running"}).json()["runs"])
    runs = start_two(client, STEERED)
    doomed = cluster.list_all_nodes()[1]  # the node added after the head
    moved = runs[doomed.node_id]["id"]
    wait_for(lambda: client.get(f"/api/runs/{moved}").json()["checkpoint"])  # one came back
    cluster.remove_node(doomed)
    resumed = wait_status(client, moved, timeout=120)
    assert resumed["status"] == "completed", resumed["error"]
    assert resumed["worker"]["node"] != doomed.node_id  # it went on on the head
    survivor = next(r for node, r in runs.items() if node != doomed.node_id)
    assert wait_status(client, survivor["id"])["status"] == "completed"
    expected = unbroken_losses(STEERED)
    for run_id in (moved, survivor["id"]):
        losses = client.get(f"/api/runs/{run_id}/losses").json()
        assert losses["step"] == list(range(STEERED["iterations"]))  # each step once
        assert losses["loss"] == expected
    assert client.get("/healthz").json()["status"] == "ok"


def unbroken_losses(request: dict) -> list[float]:
    """The run's losses computed here in one go, with one thread as a Ray task has."""
    spec = RunSpec(**request)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        batches = list(drive(resolve(spec, "cpu"), lambda: None))
    finally:
        torch.set_num_threads(before)
    return [loss for batch in batches for loss in batch.loss]
