"""A plugin file named by LOSSBOARD_VARIANTS under a private Ray: shipped to the workers with
Ray's runtime_env py_modules, it trains there; a worker that cannot load a run's variant fails
the run saying why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.training.executors.ray_tasks import missing_variant, plugin_env
from tests.helpers import ServerProcess, wait_status

TOY = Path(__file__).resolve().parents[2] / "toy_variants.py"
# A plugin that the server loads and a Ray worker cannot: as a node without its package
SERVER_ONLY = """
import ray
import lossboard

if ray._private.worker.global_worker.mode == ray.WORKER_MODE:
    raise ImportError("the frobnicator is not installed on this node")

@lossboard.variant(id="server_only", title="Loads on the server alone", devices=("cpu",))
def server_only(config):
    yield 1.0
"""


@pytest.fixture(scope="module")
def ray_server(tmp_path_factory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("ray-plugins")
    (data / "server_only.py").write_text(SERVER_ONLY)
    env = {"LOSSBOARD_VARIANTS": f"{TOY},{data / 'server_only.py'}", "OMP_NUM_THREADS": "1"}
    with ServerProcess(data, "--executor", "ray", env=env) as process:
        yield process


def test_plugin_file_trains_on_a_ray_worker_and_records_its_series(ray_server):
    body = {"variant": "toy", "iterations": 10, "shape": "steep", "width": 2}
    run = httpx.post(ray_server.url + "/api/runs", json=body).json()
    with httpx.Client(base_url=ray_server.url) as client:
        final = wait_status(client, run["id"], timeout=120)
    assert final["status"] == "completed", final["error"]
    assert final["worker"]["executor"] == "ray" and final["last_loss"] == 2 * 0.5**9
    acc = ray_server.get(f"/api/runs/{run['id']}/series/acc").json()
    assert acc["step"] == list(range(10))


def test_a_node_that_cannot_load_the_variant_fails_the_run_saying_why(ray_server):
    run = httpx.post(ray_server.url + "/api/runs", json={"variant": "server_only"}).json()
    with httpx.Client(base_url=ray_server.url) as client:
        final = wait_status(client, run["id"], timeout=120)
    assert final["status"] == "failed" and final["worker"]["executor"] == "ray"
    assert "has no variant 'server_only': install its package on every node" in final["error"]
    assert "the frobnicator is not installed on this node" in final["error"]


def test_runtime_env_ships_the_file_and_names_its_module(monkeypatch):
    monkeypatch.setenv("LOSSBOARD_VARIANTS", f"{TOY},json")
    env = plugin_env()
    assert env["env_vars"] == {"LOSSBOARD_VARIANTS": "toy_variants,json"}
    assert env["py_modules"][0] == str(TOY) and env["py_modules"][1].endswith("json")


def test_a_worker_without_the_variant_fails_the_run_saying_why():
    why = missing_variant("no_such_plugin", "node-1")
    assert why is not None
    assert why.startswith("node node-1 has no variant 'no_such_plugin': install its package")
