"""`lossboard serve --executor ray --ray-address auto` against a real `ray start --head`, with Ray's
token auth on as the README says, and what a user sees when the cluster is not there."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.cli.support import LOSSBOARD, Server, clean_env, lossboard
from tests.helpers import TINY_ARGS, ServerProcess, free_port, wait_for, wait_status

RAY = Path(sys.executable).parent / "ray"


@contextmanager
def ray_head(home: Path) -> Iterator[tuple[dict[str, str], subprocess.Popen]]:
    """A head started by `ray start` (token auth on, two CPUs): the env its clients need,
    and its process (stopping it stops the cluster)."""
    # Its own RAY_TMPDIR (short: Ray's socket paths must fit), where `auto` finds this head
    # and not another Ray on the machine; HOME keeps any token file Ray writes.
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    env = clean_env(
        RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=secrets.token_hex(16), HOME=str(home),
        RAY_TMPDIR=temp, OMP_NUM_THREADS="1",
    )  # fmt: skip
    command = [str(RAY), "start", "--head", "--num-cpus", "2", "--port", str(free_port()),
               "--include-dashboard", "false", "--disable-usage-stats", "--block"]  # fmt: skip
    head = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        # up once it has written its address where `auto` looks (else auto finds other Rays)
        wait_for(lambda: (Path(temp) / "ray" / "ray_current_cluster").exists(), timeout=60)
        yield env, head
    finally:
        head.terminate()  # --block: its children stop with it (`ray stop` would stop every Ray)
        head.wait(60)
        shutil.rmtree(temp, ignore_errors=True)


def serving_on_ray(data: Path, env: dict[str, str]) -> ServerProcess:
    """`lossboard serve --executor ray --ray-address auto` on a free port."""
    port = free_port()
    command = [*LOSSBOARD, "serve", "--port", str(port), "--data-dir", str(data),
               "--executor", "ray", "--ray-address", "auto"]  # fmt: skip
    return ServerProcess(data, command=command, port=port, env=env)


@pytest.fixture(scope="module")
def ray_env(tmp_path_factory) -> Iterator[dict[str, str]]:
    with ray_head(tmp_path_factory.mktemp("ray-home")) as (env, _):
        yield env


@pytest.fixture(scope="module")
def ray_server(ray_env, tmp_path_factory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("ray-serve")
    with serving_on_ray(data, ray_env) as process:
        yield Server(process.url, data_dir=data)


def test_server_joins_the_head_that_ray_start_made(ray_server):
    system = httpx.get(ray_server.url + "/api/system").json()
    assert system["executor"] == "ray" and system["cluster"]["reachable"] is True
    assert [node["cpus"] for node in system["cluster"]["nodes"]] == [2]
    address = system["cluster"]["address"]
    assert (
        f"runs train on the Ray cluster at {address}"
        in (ray_server.data_dir / "server.log").read_text()
    )


def test_run_started_over_http_completes_on_the_cluster(ray_server):
    body = {"variant": "nn", "iterations": 200, "N": 8, "D_in": 16, "H": 16, "D_out": 1}
    run = httpx.post(ray_server.url + "/api/runs", json=body).json()
    final = wait_status(ray_server, run["id"])
    assert final["status"] == "completed" and final["worker"]["executor"] == "ray"


def test_run_followed_from_the_cli_completes(ray_server):
    result = lossboard(ray_server, "run", "autograd", "--iterations", "300", *TINY_ARGS, "--follow")
    assert result.returncode == 0, result.stderr
    run_id = int(result.stdout.splitlines()[0])
    assert f"run {run_id} completed: 300 iterations" in result.stdout


def test_serve_with_an_unreachable_cluster_says_so_in_one_line(tmp_path):
    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    command = [*LOSSBOARD, "serve", "--data-dir", str(tmp_path), "--executor", "ray",
               "--ray-address", address]  # fmt: skip
    result = subprocess.run(command, env=clean_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("lossboard: cannot reach the Ray cluster at ")
    assert f"({address})" in result.stderr


def test_serve_with_ray_missing_says_which_extra_to_install(tmp_path):
    # `ray` made unimportable for this one process, as on a machine without the extra
    code = "import sys; sys.modules['ray'] = None; from server.cli.main import main; exit(main())"
    argv = ["serve", "--data-dir", str(tmp_path), "--executor", "ray"]
    result = subprocess.run([sys.executable, "-c", code, *argv], env=clean_env(),
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == "lossboard: --executor ray needs Ray: pip install 'lossboard[ray]'\n"


def test_cluster_that_goes_away_fails_new_runs_and_the_server_says_so(tmp_path):
    with ray_head(tmp_path / "home") as (env, head), serving_on_ray(tmp_path / "data", env) as srv:
        assert srv.get("/healthz").json() == {"status": "ok", "executor": "ok"}
        head.terminate()
        head.wait(60)
        wait_for(lambda: srv.get("/healthz").json()["executor"] == "unreachable")
        run = httpx.post(srv.url + "/api/runs", json={"variant": "nn", "N": 8}).json()
        final = wait_status(srv, run["id"])
        assert final["status"] == "failed" and "does not answer" in final["error"]
        assert srv.get("/api/system").json()["cluster"]["reachable"] is False
