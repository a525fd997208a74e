"""Variants from LOSSBOARD_VARIANTS files, on a real server: a good one runs as a job with its own
fields and series; bad ones are left out, each saying why, and the server serves on; two
variants with one id stop it, naming both."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import ServerProcess, server_env, wait_for, wait_status

TOY = Path(__file__).resolve().parents[1] / "toy_variants.py"  # toy and chatty
BROKEN = "raise RuntimeError('no driver for the frobnicator here')\n"
NOT_PYDANTIC = """
import lossboard

@lossboard.variant(id="loose", title="Fields as a dict", fields=dict)
def loose(config):
    yield 1.0
"""
CLASH = """
from pydantic import BaseModel
import lossboard

class Clashing(BaseModel):
    seed: int = 1

@lossboard.variant(id="clash", title="A field named seed", fields=Clashing)
def clash(config):
    yield 1.0
"""
TWIN = """
import lossboard

@lossboard.variant(id="toy", title="Another toy")
def toy_again(config):
    yield 1.0
"""


def plugin_files(folder: Path, **sources: str) -> str:
    """Write each source as NAME.py in `folder`: their paths, as LOSSBOARD_VARIANTS lists them."""
    for name, text in sources.items():
        (folder / f"{name}.py").write_text(text)
    return ",".join(str(folder / f"{name}.py") for name in sources)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("plugins")
    files = plugin_files(folder, broken=BROKEN, not_pydantic=NOT_PYDANTIC, clash=CLASH)
    env = {"LOSSBOARD_VARIANTS": f"{TOY},{files}", "OMP_NUM_THREADS": "1"}
    with ServerProcess(folder / "data", env=env) as process:
        yield process


def finished(server: ServerProcess, run_id: int) -> dict:
    with httpx.Client(base_url=server.url) as client:
        return wait_status(client, run_id)


def test_bad_plugins_are_left_out_each_saying_why(server):
    failures = {f["source"].rsplit("/", 1)[-1]: f for f in server.get("/api/system").json()[
        "variant_failures"]}  # fmt: skip
    assert sorted(failures) == ["broken.py", "clash.py", "not_pydantic.py"]
    assert "no driver for the frobnicator here" in failures["broken.py"]["error"]
    assert "fields must be a pydantic model" in failures["not_pydantic.py"]["error"]
    assert "seed clash with lossboard's common fields" in failures["clash.py"]["error"]
    assert 'broken.py", line 1' in failures["broken.py"]["traceback"]
    log = server.log.read_text()
    assert "variants from" in log and "frobnicator" in log and "Traceback" in log
    ids = [v["id"] for v in server.get("/api/variants").json()]
    assert "toy" in ids and not {"loose", "clash"} & set(ids)
    assert server.get("/healthz").json()["status"] == "ok"


def test_a_file_from_lossboard_variants_is_listed_with_its_origin_and_fields(server):
    (toy,) = [v for v in server.get("/api/variants").json() if v["id"] == "toy"]
    assert toy["origin"] == "toy_variants" and toy["section"] == "toy_variants"
    properties = toy["fields_schema"]["properties"]
    assert [properties[f]["type"] for f in ("width", "rate", "shape", "noisy")] == [
        "integer", "number", "string", "boolean"]  # fmt: skip
    assert toy["defaults"] == {"device": "auto", "iterations": 500, "seed": None, "width": 4,
                               "rate": 0.5, "shape": "flat", "noisy": False}  # fmt: skip


def test_a_file_from_lossboard_variants_runs_and_records_its_dict_as_series(server):
    body = {"variant": "toy", "iterations": 20, "width": 8, "shape": "steep", "noisy": True}
    run = httpx.post(server.url + "/api/runs", json=body).json()
    final = finished(server, run["id"])
    assert final["status"] == "completed", final["error"]
    assert final["config"] == {"variant": "toy", "device": "cpu", "iterations": 20,
                               "seed": final["config"]["seed"], "width": 8, "rate": 0.5,
                               "shape": "steep", "noisy": True}  # fmt: skip
    assert final["last_loss"] == 8 * 0.5**19
    acc = server.get(f"/api/runs/{run['id']}/series/acc").json()
    assert acc["step"] == list(range(20)) and acc["value"][10] == 0.5


def test_a_plugin_field_out_of_bounds_is_a_422_naming_it(server):
    body = {"variant": "toy", "width": 0, "shape": "round", "N": 3}
    answer = httpx.post(server.url + "/api/runs", json=body)
    assert answer.status_code == 422
    by_field = {e["loc"][-1]: e["msg"] for e in answer.json()["detail"]}
    assert set(by_field) == {"width", "shape", "N"}
    assert "greater than or equal to 1" in by_field["width"]
    assert "the toy variant has no field N" in by_field["N"]


def test_a_loop_that_yields_a_string_fails_its_run_saying_so(server):
    run = httpx.post(server.url + "/api/runs", json={"variant": "chatty"}).json()
    final = finished(server, run["id"])
    assert final["status"] == "failed" and final["iteration"] == 1
    assert "the loop yielded str 'done' at step 1" in final["error"]
    assert server.get("/healthz").status_code == 200


def test_two_variants_with_one_id_stop_the_server_naming_both(tmp_path):
    files = f"{TOY},{plugin_files(tmp_path, twin=TWIN)}"
    command = [sys.executable, "-m", "server", "serve", "--port", "0", "--data-dir",
               str(tmp_path / "data"), "--variants", files]  # fmt: skip
    done = subprocess.run(command, env=server_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "two variants have the id 'toy'" in done.stderr
    assert "toy_variants.toy (toy_variants)" in done.stderr
    assert "twin.toy_again (twin)" in done.stderr


def test_a_file_from_lossboard_variants_sweeps_over_its_own_field_with_two_seeds(server):
    body = {"variant": "toy", "params": {"width": {"values": [2, 3]}}, "seeds": 2,
            "base": {"iterations": 5, "shape": "steep", "seed": 11}}  # fmt: skip
    sweep = httpx.post(server.url + "/api/sweeps", json=body)
    assert sweep.status_code == 201, sweep.text
    runs = [finished(server, run_id) for run_id in sweep.json()["run_ids"]]
    points = sorted((r["config"]["width"], r["config"]["seed"], r["status"]) for r in runs)
    assert points == [(2, 11, "completed"), (2, 12, "completed"), (3, 11, "completed"),
                      (3, 12, "completed")]  # fmt: skip
    assert {r["sweep_params"]["width"] for r in runs} == {2, 3}


def test_a_sweep_of_a_field_no_variant_has_names_it(server):
    body = {"variant": "toy", "params": {"depth": {"values": [1, 2]}}}
    answer = httpx.post(server.url + "/api/sweeps", json=body)
    assert answer.status_code == 422
    assert "depth cannot be swept; these can: " in answer.text and "width" in answer.text


def test_a_plugin_without_state_hooks_refuses_a_pause_saying_why(server):
    body = {"variant": "toy", "iterations": 10_000_000, "shape": "flat"}
    run = httpx.post(server.url + "/api/runs", json=body).json()
    with httpx.Client(base_url=server.url) as client:
        wait_for(lambda: client.get(f"/api/runs/{run['id']}").json()["iteration"] > 0)
        answer = client.post(f"/api/runs/{run['id']}/pause")  # its first batch said: no hooks
        client.post(f"/api/runs/{run['id']}/cancel")
    assert answer.status_code == 409
    assert "variant toy offers no state() and load_state()" in answer.text
