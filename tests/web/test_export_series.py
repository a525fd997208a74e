"""Exports of a script's run with several series: CSV in long form (series,step,value,time),
every value exactly; TensorBoard with one tag per series."""

from __future__ import annotations

import csv
import io
import zipfile

import numpy as np
import pytest
from tbparse import SummaryReader

from tests.web.test_ingest import INGEST, batch, open_run, send

LOGGED = {"loss": [(0, 0.1 + 0.2), (1, 1 / 3), (3, None)], "val/acc": [(0, 0.5), (50, 0.75)]}


@pytest.fixture
def run_id(client) -> int:
    run_id = open_run(client, config={"lr": 0.01})["run"]["id"]
    send(client, run_id, batch(0, loss=LOGGED["loss"], val__acc=LOGGED["val/acc"]))
    client.post(f"{INGEST}/{run_id}/finish", json={"status": "completed"})
    return run_id


def test_csv_of_a_run_with_several_series_is_long_and_exact(client, run_id):
    text = client.get(f"/api/runs/{run_id}/export").text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["series", "step", "value", "time"]
    read = {(r["series"], int(r["step"])): float(r["value"]) for r in rows}
    assert read[("loss", 0)] == 0.1 + 0.2 and read[("loss", 1)] == 1 / 3  # every digit
    assert np.isnan(read[("loss", 3)]) and read[("val/acc", 50)] == 0.75
    assert len(rows) == 5


def test_csv_of_many_runs_names_the_series_when_one_has_several(client, run_id):
    other = open_run(client)["run"]["id"]
    send(client, other, batch(0, loss=[(0, 2.0)]))
    response = client.get("/api/runs/export", params={"ids": f"{run_id},{other}"})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0])[-4:] == ["series", "step", "value", "time"]
    assert [(r["run_id"], r["series"], r["step"]) for r in rows][-3:] == [
        (str(run_id), "val/acc", "0"), (str(run_id), "val/acc", "50"), (str(other), "loss", "0")
    ]  # fmt: skip


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # tbparse 0.0.9 on pandas 3
def test_tensorboard_export_has_a_tag_per_series(client, run_id, tmp_path):
    response = client.get("/api/runs/export", params={"ids": run_id, "format": "tensorboard"})
    zipfile.ZipFile(io.BytesIO(response.content)).extractall(tmp_path)
    scalars = SummaryReader(str(tmp_path)).scalars
    assert set(scalars["tag"]) == {"loss", "val/acc"}
    acc = scalars[scalars["tag"] == "val/acc"]
    assert acc["step"].tolist() == [0, 50] and acc["value"].tolist() == [0.5, 0.75]
