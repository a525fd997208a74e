"""Two Ray nodes on one machine (`ray.cluster_utils.Cluster`, one CPU each): runs spread over
them, /api/system lists them, and a node that dies fails only its own run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import ray
from fastapi.testclient import TestClient
from ray.cluster_utils import Cluster

from tests.helpers import TINY, app_client, wait_for, wait_status

LONG = {"variant": "tensors", "device": "cpu", "iterations": 150_000, **TINY}  # ~10 s here


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
    with app_client(tmp_path_factory.mktemp("cluster"), executor="ray") as client:
        yield client


def start_two(client: TestClient) -> dict[str, dict]:
    """Start two long runs and wait until both train; each by the node it runs on."""
    ids = [client.post("/api/runs", json=LONG).json()["id"] for _ in range(2)]
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


def test_node_that_dies_fails_its_run_naming_it_and_the_other_completes(client, cluster):
    wait_for(lambda: not client.get("/api/runs", params={"status": "running"}).json()["runs"])
    runs = start_two(client)
    doomed = cluster.list_all_nodes()[1]  # the node added after the head
    cluster.remove_node(doomed)
    lost = wait_status(client, runs[doomed.node_id]["id"])
    assert lost["status"] == "failed" and doomed.node_id in lost["error"]
    survivor = next(r for node, r in runs.items() if node != doomed.node_id)
    assert wait_status(client, survivor["id"])["status"] == "completed"
    assert client.get("/healthz").json()["status"] == "ok"
