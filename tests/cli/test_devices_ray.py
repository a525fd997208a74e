"""`lossboard devices` against a server that trains on a Ray cluster: its own private Ray."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.cli.support import LOSSBOARD, Server, clean_env, lossboard, serving
from tests.helpers import free_port


@pytest.fixture(scope="module")
def ray_server(tmp_path_factory) -> Iterator[Server]:
    """`lossboard serve --executor ray`, which starts a private Ray and stops it on exit."""
    data, port = tmp_path_factory.mktemp("ray"), free_port()
    where = ["--port", str(port), "--data-dir", str(data)]
    command = [*LOSSBOARD, "serve", "--executor", "ray", *where]
    env = clean_env(OMP_NUM_THREADS="1", LOSSBOARD_LOG_LEVEL="warning")
    with serving(command, port, env, data) as server:
        yield server


@pytest.fixture(scope="module")
def printed(ray_server) -> str:
    result = lossboard(ray_server, "devices")
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_devices_under_ray_lists_each_node_with_its_cpus(ray_server, printed):
    (node,) = ray_server.get("/api/system").json()["cluster"]["nodes"]
    cells = [node["id"], re.escape(node["host"]), "yes", str(node["cpus"]), "0"]
    assert re.search(r"│ " + r"\s+│ ".join(cells) + r"\s+│", printed)


def test_devices_under_ray_names_the_executor_its_address_and_queues(ray_server, printed):
    address = ray_server.get("/api/system").json()["cluster"]["address"]
    assert f"executor ray at {address} (reachable); queued: cpu 0, cuda 0" in printed


def test_devices_under_ray_lists_the_clusters_cpus_as_one_device(printed):
    assert re.search(r"│ cpu\s+│ cpu\s+│ \d+ CPUs on 1 Ray node", printed)
