"""A search on a real server survives a SIGKILL: the restarted server continues it to its
budget, its cut runs resumed in place, with no point lost and none trained twice."""

from __future__ import annotations

import httpx

from tests.helpers import TINY, ServerProcess, wait_for

BODY = {
    "variant": "nn",
    "method": "tpe",
    "count": 8,
    "max_parallel": 2,
    "params": {"learning_rate": {"log_uniform": [1e-7, 1e-6]}},  # where nn does not diverge
    "base": {"iterations": 6_000, "device": "cpu", "seed": 1, **TINY},
}


def sweep_runs(server: ServerProcess, sweep_id: int) -> tuple[dict, list[dict]]:
    sweep = server.get(f"/api/sweeps/{sweep_id}").json()
    return sweep, [server.get(f"/api/runs/{i}").json() for i in sweep["run_ids"]]


def test_a_killed_search_continues_to_its_budget_with_no_point_lost_or_repeated(tmp_path):
    data = tmp_path / "data"
    with ServerProcess(data) as server:
        sweep_id = httpx.post(server.url + "/api/sweeps", json=BODY, timeout=30).json()["id"]

        def mid_search() -> bool:
            counts = server.get(f"/api/sweeps/{sweep_id}").json()["counts"]
            return counts["completed"] >= 2 and counts["running"] > 0

        wait_for(mid_search, timeout=120)
        server.kill()
    with ServerProcess(data) as server:
        wait_for(lambda: server.get(f"/api/sweeps/{sweep_id}").json()["status"] != "running", 240)
        sweep, runs = sweep_runs(server, sweep_id)
    assert sweep["status"] == "completed"
    trained = [r for r in runs if r["status"] != "interrupted"]
    cut = [r for r in runs if r["status"] == "interrupted"]
    points = [r["sweep_params"]["learning_rate"] for r in trained]
    assert len(trained) == 8 and len(set(points)) == 8  # the budget, each point once
    assert all(r["status"] == "completed" and r["iteration"] == 6_000 for r in trained)
    assert not cut and len(runs) == 8  # the cut runs went on in place, none trained anew
    assert sweep["best"]["loss"] == min(r["last_loss"] for r in trained)
