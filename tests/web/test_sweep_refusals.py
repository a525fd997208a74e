"""Bad sweeps over HTTP: a 422 naming the field, and nothing recorded or queued."""

from __future__ import annotations

import pytest

from tests.helpers import TINY

GOOD = {
    "variant": "nn",
    "method": "grid",
    "params": {"learning_rate": {"values": [1e-6, 1e-5]}},
    "seeds": 2,
    "base": {"iterations": 5, "device": "cpu", **TINY},
}
BAD = [
    ({"params": {"learning_rate": {"values": []}}}, ["params", "learning_rate", "values"]),
    ({"params": {"optimizer": {"values": ["adam"]}}}, ["params", "optimizer"]),
    ({"params": {"H": {"values": [4, 10**9]}}, "base": {}}, ["params", "H"]),  # past the size cap
    ({"params": {"H": {"values": [4]}}}, ["base", "H"]),  # given in both
    ({"params": {"learning_rate": {"uniform": [1e-3, 1e-6]}}},
     ["params", "learning_rate", "uniform"]),
    ({"method": "random", "count": 2, "params": {"learning_rate": {"log_uniform": [0, 1]}}},
     ["params", "learning_rate", "log_uniform"]),
    ({"method": "random", "params": {"learning_rate": {"log_uniform": [1e-6, 1]}}}, ["count"]),
    ({"seeds": 251}, ["seeds"]),
    ({"seeds": 0}, ["seeds"]),
    ({"variant": "numpy", "base": {"device": "cuda", "iterations": 5}}, ["base", "device"]),
    ({"base": {"colour": "red"}}, ["base", "colour"]),
    ({"base": {"rerun_of": 1}}, ["base", "rerun_of"]),  # a run's link, not a sweep's
    ({"max_parallel": 0}, ["max_parallel"]),
    ({"bogus": 1}, ["bogus"]),
    ({"method": "anneal", "count": 2}, ["method"]),  # no such sampler
    ({"pruner": "patient"}, ["pruner"]),
    ({"method": "cmaes", "count": 2, "params": {"optimizer": {"values": ["sgd", "adam"]}}},
     ["params", "optimizer"]),  # Optuna's CMA-ES would sample it at random
    ({"pruner": "median", "report_every": 0}, ["report_every"]),
    ({"objective": "mean_last"}, ["k"]),
    ({"objective": "final", "k": 3}, ["k"]),
    ({"report_every": 5}, ["report_every"]),  # without a pruner it reports to nothing
    ({"method": "tpe", "count": 2, "variants": ["nn", "numpy"], "variant": None}, ["variants"]),
    ({"method": "tpe", "params": {"learning_rate": {"log_uniform": [1e-7, 1e-3]}}}, ["count"]),
    ({"method": "gp", "count": 2, "params": {"H": {"int_uniform": [4, 10**9]}},
      "base": {"iterations": 5, "device": "cpu"}}, ["params", "H"]),  # its top is past the cap
]  # fmt: skip


@pytest.mark.parametrize(("change", "loc"), BAD)
def test_bad_sweep_is_422_naming_the_field_and_queues_nothing(shared_client, change, loc):
    response = shared_client.post("/api/sweeps", json={**GOOD, **change})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", *loc]
    assert shared_client.get("/api/runs").json()["total"] == 0
    assert shared_client.get("/api/sweeps").json()["total"] == 0


def test_bad_range_message_reads_without_pydantic_prefix(shared_client):
    change = {"method": "random", "count": 2, "params": {"learning_rate": {"log_uniform": [0, 1]}}}
    response = shared_client.post("/api/sweeps", json={**GOOD, **change})
    assert response.json()["detail"][0]["msg"] == "a log-uniform range needs low > 0, not 0.0"
