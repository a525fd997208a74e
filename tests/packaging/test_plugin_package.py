"""The example plugin package (examples/lossboard-spirals), installed from its wheel into a fresh
venv beside lossboard's: found through its entry point, it runs as a job with its own fields,
on the CPU, in a sweep, under a private Ray, and from the CLI."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import ServerProcess, free_port, wait_for, wait_status
from tests.packaging.venvs import ROOT, build_wheel, fresh_venv

EXAMPLE = ROOT / "examples" / "lossboard-spirals"
FIELDS = {"hidden": "integer", "lr": "number", "activation": "string", "full_batch": "boolean",
          "samples": "integer"}  # fmt: skip
QUICK = {"variant": "spirals", "device": "cpu", "iterations": 30, "hidden": 8, "samples": 64}
THREADS = {"OMP_NUM_THREADS": "1"}  # two cores shared by the tests: one thread a run


@pytest.fixture(scope="module")
def bin_dir(tmp_path_factory) -> Path:
    """A venv with lossboard's wheel and the example's, and nothing of this checkout."""
    tmp = tmp_path_factory.mktemp("plugin")
    wheels = build_wheel(tmp / "dist"), build_wheel(tmp / "ex", EXAMPLE, "lossboard-spirals")
    return fresh_venv(tmp / "venv", *wheels)


def serve(bin_dir: Path, data: Path, *args: str) -> ServerProcess:
    """The venv's `lossboard serve` on a free port."""
    port = free_port()
    command = [str(bin_dir / "lossboard"), "serve", "--port", str(port), "--data-dir", str(data),
               *args]  # fmt: skip
    return ServerProcess(data, command=command, port=port, env=THREADS)


@pytest.fixture(scope="module")
def url(bin_dir, tmp_path_factory) -> Iterator[str]:
    with serve(bin_dir, tmp_path_factory.mktemp("data")) as server:
        yield server.url


def finished(url: str, run_id: int) -> dict:
    with httpx.Client(base_url=url) as client:
        return wait_status(client, run_id, timeout=120)


def test_example_is_listed_with_its_own_fields_and_package(url):
    (entry,) = [v for v in httpx.get(url + "/api/variants").json() if v["id"] == "spirals"]
    assert entry["origin"] == "lossboard_spirals" and entry["devices"] == ["cpu", "cuda"]
    properties = entry["fields_schema"]["properties"]
    assert {name: p["type"] for name, p in properties.items()} == FIELDS
    assert entry["defaults"]["hidden"] == 32 and entry["fields"][3:] == list(FIELDS)
    assert httpx.get(url + "/api/system").json()["variant_failures"] == []


def test_example_is_offered_by_the_form(url):
    page = httpx.get(url + "/").text
    assert '"spirals"' in page and "An MLP on two spirals" in page


def test_example_runs_on_the_cpu_and_records_two_series(url):
    run = httpx.post(url + "/api/runs", json={**QUICK, "activation": "relu"}).json()
    final = finished(url, run["id"])
    assert final["status"] == "completed", final["error"]
    assert final["config"] | QUICK == final["config"] and final["config"]["activation"] == "relu"
    listed = httpx.get(f"{url}/api/runs/{run['id']}/series").json()["series"]
    counts = {s["name"]: s["count"] for s in listed if not s["name"].startswith("system/")}
    assert counts == {"loss": 30, "accuracy": 30}
    accuracy = httpx.get(f"{url}/api/runs/{run['id']}/series/accuracy").json()
    assert accuracy["step"] == list(range(30)) and all(0 <= a <= 1 for a in accuracy["value"])


def test_example_refuses_a_bad_field_naming_it(url):
    answer = httpx.post(url + "/api/runs", json={**QUICK, "hidden": 1, "activation": "gelu"})
    assert answer.status_code == 422
    assert {e["loc"][-1] for e in answer.json()["detail"]} == {"hidden", "activation"}


def test_example_sweeps_over_its_own_field_with_two_seeds(url):
    body = {"variant": "spirals", "params": {"hidden": {"values": [4, 8]}}, "seeds": 2,
            "base": {"device": "cpu", "iterations": 10, "samples": 32, "seed": 5}}  # fmt: skip
    sweep = httpx.post(url + "/api/sweeps", json=body)
    assert sweep.status_code == 201, sweep.text
    runs = [finished(url, run_id) for run_id in sweep.json()["run_ids"]]
    assert [r["status"] for r in runs] == ["completed"] * 4
    points = sorted((r["config"]["hidden"], r["config"]["seed"]) for r in runs)
    assert points == [(4, 5), (4, 6), (8, 5), (8, 6)]


def test_example_is_set_from_the_cli_and_its_help_lists_its_fields(url, bin_dir):
    lossboard = [str(bin_dir / "lossboard"), "run", "--url", url]
    shown = subprocess.run([*lossboard, "spirals", "--help"], capture_output=True, text=True,
                           check=True)  # fmt: skip
    assert all(f"--set {name}=" in shown.stdout for name in FIELDS), shown.stdout
    sets = ["hidden=6", "lr=0.2", "activation=relu", "full_batch=false", "samples=40"]
    command = [*lossboard, "spirals", "--device", "cpu", "--iterations", "5", "--follow"]
    done = subprocess.run([*command, *(a for s in sets for a in ("--set", s))],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    run = httpx.get(url + "/api/runs?variant=spirals&limit=1").json()["runs"][0]
    config = run["config"]
    assert (config["hidden"], config["lr"], config["activation"]) == (6, 0.2, "relu")
    assert (config["full_batch"], config["samples"], run["status"]) == (False, 40, "completed")


def test_example_runs_under_a_private_ray(bin_dir, tmp_path):
    with serve(bin_dir, tmp_path / "data", "--executor", "ray") as server:
        run = httpx.post(server.url + "/api/runs", json=QUICK).json()
        final = finished(server.url, run["id"])
        assert final["status"] == "completed", final["error"]
        assert final["worker"]["executor"] == "ray"
        listed = wait_for(lambda: httpx.get(f"{server.url}/api/runs/{run['id']}/series").json())
        counts = {s["name"]: s["count"] for s in listed["series"] if "/" not in s["name"]}
        assert counts == {"loss": 30, "accuracy": 30}


def test_example_pauses_and_resumes_through_its_state_hooks_as_if_unbroken(url):
    request = {**QUICK, "iterations": 4000, "seed": 3, "full_batch": False}
    with httpx.Client(base_url=url) as client:
        run = client.post("/api/runs", json=request).json()
        wait_for(lambda: client.get(f"/api/runs/{run['id']}").json()["iteration"] >= 200)
        assert client.post(f"/api/runs/{run['id']}/pause").status_code == 200
        paused = wait_status(client, run["id"], ["paused"])
        assert paused["status"] == "paused"
        assert client.post(f"/api/runs/{run['id']}/resume").status_code == 200
        assert wait_status(client, run["id"], timeout=120)["status"] == "completed"
        again = client.post("/api/runs", json=request).json()
        assert wait_status(client, again["id"], timeout=120)["status"] == "completed"
        resumed, unbroken = (client.get(f"/api/runs/{r['id']}/losses").json()["loss"]
                             for r in (run, again))  # fmt: skip
    assert len(resumed) == 4000 and resumed == unbroken


def test_example_sweeps_from_the_cli_over_its_own_field(url, bin_dir):
    command = [str(bin_dir / "lossboard"), "sweep", "--url", url, "spirals", "--grid",
               "hidden=4,8", "--seeds", "2", "--iterations", "5", "--device", "cpu", "--set",
               "samples=32", "--set", "activation=relu", "--follow"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    sweep_id = int(done.stdout.splitlines()[0])
    sweep = httpx.get(f"{url}/api/sweeps/{sweep_id}").json()
    assert sweep["spec"]["params"] == {"hidden": {"values": [4, 8]}} and sweep["spec"]["seeds"] == 2
    assert sweep["spec"]["base"] | {"samples": 32, "activation": "relu"} == sweep["spec"]["base"]
    assert sweep["counts"].get("completed") == 4


def test_example_takes_a_live_change_of_the_hyperparameter_it_names(url):
    request = {**QUICK, "iterations": 4000, "seed": 4, "full_batch": False}
    with httpx.Client(base_url=url) as client:
        run = client.post("/api/runs", json=request).json()
        wait_for(lambda: client.get(f"/api/runs/{run['id']}").json()["iteration"] >= 200)
        assert client.post(f"/api/runs/{run['id']}/pause").status_code == 200
        wait_status(client, run["id"], ["paused"])
        other = client.patch(f"/api/runs/{run['id']}/hyper", json={"learning_rate": 0.1})
        changed = client.patch(f"/api/runs/{run['id']}/hyper", json={"lr": 0.2})
        assert changed.status_code == 200, changed.text
        client.post(f"/api/runs/{run['id']}/resume")
        final = wait_status(client, run["id"], timeout=120)
        lr = client.get(f"/api/runs/{run['id']}/series/lr").json()
    assert other.status_code == 422 and "changes only lr live" in other.text
    assert final["status"] == "completed"
    assert [(e["field"], e["old"], e["new"]) for e in final["events"]] == [("lr", 0.05, 0.2)]
    assert lr["value"][-1] == 0.2
