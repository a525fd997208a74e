"""GET /api/sweeps/{id}/study: a search's points, best so far and importances."""

from __future__ import annotations

from tests.helpers import TINY, wait_for

SEARCH = {
    "variant": "nn",
    "method": "tpe",
    "count": 5,
    "max_parallel": 2,
    "params": {"learning_rate": {"log_uniform": [1e-7, 1e-5]}, "H": {"int_uniform": [4, 32]}},
    "base": {"iterations": 40, "device": "cpu", "seed": 2, "N": 8, "D_in": 16, "D_out": 1},
}


def test_study_lists_every_point_with_the_best_so_far_and_importances(client, tmp_path):
    sweep = client.post("/api/sweeps", json=SEARCH).json()
    path = f"/api/sweeps/{sweep['id']}"
    wait_for(lambda: client.get(path).json()["status"] == "completed")
    study = client.get(path + "/study").json()
    trials = study["trials"]
    assert [t["number"] for t in trials] == [0, 1, 2, 3, 4]
    assert all(t["state"] == "complete" and len(t["run_ids"]) == 1 for t in trials)
    values = [t["value"] for t in trials]
    assert [t["best_so_far"] for t in trials] == [min(values[: i + 1]) for i in range(5)]
    assert set(study["importance"]) == {"learning_rate", "H"}
    assert study["importance_evaluator"] == "ped_anova"
    best = client.get(path).json()["best"]
    top = min(trials, key=lambda t: t["value"])
    assert best == {"run_id": top["run_ids"][0], "loss": top["value"], "params": top["params"]}
    journal = tmp_path / "studies" / f"sweep-{sweep['id']}.journal"  # Optuna's own storage
    assert journal.is_file()
    assert client.delete(path).status_code == 204
    assert not journal.exists()


def test_a_plain_grid_keeps_no_study(client):
    body = {"variant": "nn", "params": {"learning_rate": {"values": [1e-6]}},
            "base": {"iterations": 2, "device": "cpu", **TINY}}  # fmt: skip
    sweep = client.post("/api/sweeps", json=body).json()
    response = client.get(f"/api/sweeps/{sweep['id']}/study")
    assert response.status_code == 409 and "keeps no study" in response.json()["detail"]
    assert client.get("/api/sweeps/999/study").status_code == 404
