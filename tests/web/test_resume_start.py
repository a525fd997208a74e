"""What a starting server resumes: the runs the stopped one cut short (a sweep's too, so that the
sweep completes), never older interrupted runs, paused runs or scripts' runs; none with
LOSSBOARD_RESUME=off. In-process apps, one after the other on the same data directory."""

from __future__ import annotations

from tests.helpers import TINY, app_client, wait_for, wait_status

BASE = {"device": "cpu", "iterations": 10_000, **TINY}  # a sweep's base names no variant
QUICK = {"variant": "optim", **BASE}
SETTINGS = {"workers_per_device": 1, "checkpoint_every_s": 0.2}


def running(client, run_id: int) -> bool:
    run = client.get(f"/api/runs/{run_id}").json()
    return run["status"] == "running" and run["iteration"] > 500


def test_a_sweep_cut_by_a_restart_completes_after_it_each_run_whole(tmp_path):
    spec = {
        "variant": "optim",
        "params": {"learning_rate": {"values": [1e-4, 2e-4, 3e-4]}},
        "seeds": 2,
        "max_parallel": 2,
        "base": BASE,
    }
    with app_client(tmp_path, **SETTINGS) as client:
        sweep = client.post("/api/sweeps", json=spec).json()
        ids = sweep["run_ids"]
        wait_for(lambda: running(client, ids[0]))
    with app_client(tmp_path, **SETTINGS) as client:
        cut = client.get(f"/api/sweeps/{sweep['id']}").json()
        assert cut["status"] == "running"  # its runs were queued again as the server started
        done = wait_for(
            lambda: (
                (s := client.get(f"/api/sweeps/{sweep['id']}").json())["status"] != "running" and s
            ),
            240,
        )
        assert done["status"] == "completed" and done["counts"]["completed"] == 6
        assert done["run_ids"] == ids  # the same runs, not new ones
        first = client.get(f"/api/runs/{ids[0]}").json()
        assert first["checkpoint"] is not None or first["iteration"] == QUICK["iterations"]
        for run_id in ids:
            steps = client.get(f"/api/runs/{run_id}/losses").json()["step"]
            assert steps == list(range(QUICK["iterations"]))


def test_rerun_of_a_sweeps_run_stays_in_the_sweep_and_completes_it(tmp_path):
    spec = {"variant": "optim", "seeds": 2, "base": {**BASE, "iterations": 10_000_000}}
    with app_client(tmp_path, **SETTINGS, resume="off") as client:
        sweep = client.post("/api/sweeps", json=spec).json()
        wait_for(lambda: running(client, sweep["run_ids"][0]))
    with app_client(tmp_path, **SETTINGS, resume="off") as client:
        cut = client.get(f"/api/sweeps/{sweep['id']}").json()
        assert cut["status"] == "interrupted"
        for run_id in sweep["run_ids"]:
            again = client.post(f"/api/runs/{run_id}/rerun").json()
            assert again["sweep_id"] == sweep["id"] and again["rerun_of"] == run_id
            client.post(f"/api/runs/{again['id']}/cancel")
            wait_status(client, again["id"])
        ended = client.get(f"/api/sweeps/{sweep['id']}").json()
        assert len(ended["run_ids"]) == 4
        assert ended["status"] == "cancelled" or ended["status"] == "completed"
        assert ended["status"] != "interrupted"  # the reruns took the interrupted runs' place


def test_only_runs_the_stopped_server_cut_short_resume(tmp_path):
    with app_client(tmp_path, **SETTINGS) as client:
        old = client.post("/api/runs", json={**QUICK, "iterations": 10_000_000}).json()
        wait_for(lambda: running(client, old["id"]))
    with app_client(tmp_path, **SETTINGS, resume="off"):  # a start that resumes nothing
        pass
    with app_client(tmp_path, **SETTINGS) as client:  # old was cut short before: it stays
        assert client.get(f"/api/runs/{old['id']}").json()["status"] == "interrupted"
        paused = client.post("/api/runs", json={**QUICK, "iterations": 10_000_000}).json()
        wait_for(lambda: running(client, paused["id"]))
        client.post(f"/api/runs/{paused['id']}/pause")
        wait_status(client, paused["id"], ("paused",))
        cut = client.post("/api/runs", json={**QUICK, "iterations": 10_000_000}).json()
        wait_for(lambda: running(client, cut["id"]))
        script = client.post("/api/ingest/runs", json={"name": "a script"}).json()["run"]
    with app_client(tmp_path, **SETTINGS) as client:
        assert client.get(f"/api/runs/{old['id']}").json()["status"] == "interrupted"
        assert client.get(f"/api/runs/{paused['id']}").json()["status"] == "paused"
        resumed = client.get(f"/api/runs/{cut['id']}").json()
        assert resumed["status"] in ("queued", "running") and resumed["checkpoint"]
        assert client.get(f"/api/runs/{script['id']}").json()["status"] == "running"
        answer = client.post(f"/api/runs/{script['id']}/resume")
        assert answer.status_code == 409 and "script" in answer.json()["detail"]
        # an older interrupted run resumes when asked, from its checkpoint
        again = client.post(f"/api/runs/{old['id']}/resume").json()
        assert again["checkpoint"] is True and again["step"] > 0
        # and a paused one, paused by the server before this one
        again = client.post(f"/api/runs/{paused['id']}/resume").json()
        assert again["checkpoint"] is True and again["run"]["status"] == "queued"
        for run_id in (old["id"], paused["id"], cut["id"]):
            client.post(f"/api/runs/{run_id}/cancel")


def test_resume_off_leaves_them_interrupted(tmp_path):
    with app_client(tmp_path, **SETTINGS) as client:
        run = client.post("/api/runs", json={**QUICK, "iterations": 10_000_000}).json()
        wait_for(lambda: running(client, run["id"]))
    with app_client(tmp_path, **SETTINGS, resume="off") as client:
        assert client.get(f"/api/runs/{run['id']}").json()["status"] == "interrupted"


def test_a_run_paused_by_an_earlier_server_can_be_cancelled(tmp_path):
    with app_client(tmp_path, **SETTINGS) as client:
        run = client.post("/api/runs", json={**QUICK, "iterations": 10_000_000}).json()
        wait_for(lambda: running(client, run["id"]))
        client.post(f"/api/runs/{run['id']}/pause")
        wait_status(client, run["id"], ("paused",))
    with app_client(tmp_path, **SETTINGS) as client:
        assert client.post(f"/api/runs/{run['id']}/cancel").status_code == 202
        assert client.get(f"/api/runs/{run['id']}").json()["status"] == "cancelled"
        model = client.get(f"/api/runs/{run['id']}/model")  # its last checkpoint's weights
        assert model.status_code == 200
        assert f'filename="run-{run["id"]}.pt"' in model.headers["content-disposition"]
