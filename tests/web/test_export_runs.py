"""Exports of a sweep and of any runs: CSV round-trips every loss exactly, the TensorBoard
logdir (read back with tbparse) every step at float32."""

from __future__ import annotations

import csv
import io
import zipfile

import numpy as np
import pytest
from tbparse import SummaryReader

from tests.helpers import TINY, app_client, wait_for

SWEEP = {
    "variant": "optim",
    "method": "grid",
    "params": {"learning_rate": {"values": [1e-4, 1e-3]}, "optimizer": {"values": ["sgd", "adam"]}},
    "seeds": 2,
    "base": {"iterations": 40, "device": "cpu", **TINY},
}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A client and a completed 8-run sweep, shared by the module."""
    with app_client(tmp_path_factory.mktemp("export")) as client:
        sweep = client.post("/api/sweeps", json=SWEEP).json()
        path = f"/api/sweeps/{sweep['id']}"
        yield (
            client,
            wait_for(lambda: (s := client.get(path).json())["status"] == "completed" and s),
        )


def stored(client, run_id: int) -> dict:
    return client.get(f"/api/runs/{run_id}/losses").json()


def test_sweep_csv_round_trips_every_loss_exactly(finished):
    client, sweep = finished
    response = client.get(f"/api/sweeps/{sweep['id']}/export", params={"format": "csv"})
    assert response.headers["content-disposition"].endswith(f'lossboard-sweep-{sweep["id"]}.csv"')
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == ["run_id", "learning_rate", "optimizer", "seed", "step", "loss", "time"]
    for run_id in sweep["run_ids"]:
        mine = [r for r in rows if int(r["run_id"]) == run_id]
        run, losses = client.get(f"/api/runs/{run_id}").json(), stored(client, run_id)
        assert [float(r["loss"]) for r in mine] == losses["loss"]
        assert [float(r["time"]) for r in mine] == losses["time"]
        assert [int(r["step"]) for r in mine] == losses["step"]
        params = {(float(r["learning_rate"]), r["optimizer"], int(r["seed"])) for r in mine}
        assert params == {tuple(run["config"][k] for k in ("learning_rate", "optimizer", "seed"))}


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # tbparse 0.0.9 on pandas 3
def test_sweep_tensorboard_export_reads_back_every_step_at_float32(finished, tmp_path):
    client, sweep = finished
    response = client.get(f"/api/sweeps/{sweep['id']}/export", params={"format": "tensorboard"})
    assert response.headers["content-type"] == "application/zip"
    zipfile.ZipFile(io.BytesIO(response.content)).extractall(tmp_path)
    scalars = SummaryReader(str(tmp_path), extra_columns={"dir_name"}).scalars
    assert set(scalars["tag"]) == {"loss"} and scalars["dir_name"].nunique() == 8
    for run_id in sweep["run_ids"]:
        run = client.get(f"/api/runs/{run_id}").json()
        mine = scalars[scalars["dir_name"] == folder(run)]
        losses = stored(client, run_id)
        assert mine["step"].tolist() == losses["step"]
        np.testing.assert_array_equal(
            mine["value"].to_numpy(np.float32), np.float32(losses["loss"])
        )


def folder(run: dict) -> str:
    """A run's folder in the logdir: its id, name and variant."""
    name = run["name"].replace(" ", "-") + "_" if run["name"] else ""
    return f"run-{run['id']}_{name}{run['variant']}"


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # tbparse 0.0.9 on pandas 3
def test_tensorboard_export_puts_each_run_s_config_in_its_hparams(finished, tmp_path):
    client, sweep = finished
    response = client.get(f"/api/sweeps/{sweep['id']}/export", params={"format": "tensorboard"})
    zipfile.ZipFile(io.BytesIO(response.content)).extractall(tmp_path)
    hparams = SummaryReader(str(tmp_path), extra_columns={"dir_name"}).hparams
    for run_id in sweep["run_ids"]:
        run = client.get(f"/api/runs/{run_id}").json()
        mine = hparams[hparams["dir_name"] == folder(run)]
        shown = dict(zip(mine["tag"], mine["value"], strict=True))
        assert shown["learning_rate"] == run["config"]["learning_rate"]
        assert shown["optimizer"] == run["config"]["optimizer"]
        assert shown["seed"] == run["config"]["seed"] and shown["run_id"] == run_id


def test_runs_csv_export_shows_the_config_fields_that_differ(finished):
    client, sweep = finished
    ids = sweep["run_ids"][:3]  # sgd at 1e-4, seeds 0 and 1, then adam at 1e-4
    response = client.get("/api/runs/export", params={"ids": ",".join(map(str, ids))})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == ["run_id", "optimizer", "seed", "step", "loss", "time"]
    assert [int(r["run_id"]) for r in rows] == [i for i in ids for _ in range(40)]
    assert [float(r["loss"]) for r in rows[:40]] == stored(client, ids[0])["loss"]


def test_runs_tensorboard_export_holds_one_directory_per_run(finished, tmp_path):
    client, sweep = finished
    ids = sweep["run_ids"][1:3]
    response = client.get(
        "/api/runs/export", params={"ids": f"{ids[0]},{ids[1]}", "format": "tensorboard"}
    )
    names = {
        name.split("/")[0] for name in zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    }
    assert len(names) == 2 and all(
        name.startswith(f"run-{i}_") for name, i in zip(sorted(names), ids, strict=True)
    )


@pytest.mark.parametrize("ids", ["", "1,x", "1,1", "-1", ",".join(["1"] * 1001)])
def test_runs_export_refuses_bad_ids_naming_ids(finished, ids):
    client, _ = finished
    response = client.get("/api/runs/export", params={"ids": ids})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "ids"]


def test_runs_export_of_an_unknown_run_is_404(finished):
    client, _ = finished
    response = client.get("/api/runs/export", params={"ids": "1,999"})
    assert response.status_code == 404 and response.json()["detail"] == "run 999 does not exist"


def test_many_run_exports_give_their_slots_back(finished):
    client, sweep = finished
    path = f"/api/sweeps/{sweep['id']}/export"
    formats = ["csv", "tensorboard"] * 3  # more than max_exports (4): each frees its slot
    answers = [client.get(path, params={"format": f}).status_code for f in formats]
    assert answers == [200] * len(formats)
