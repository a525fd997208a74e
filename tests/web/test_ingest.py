"""The ingest routes (docs/api.md, Logging your own runs): runs of scripts, their batches,
replays, refusals that name the problem and store nothing, cancel, silence, finish."""

from __future__ import annotations

import pytest

from tests.helpers import TINY, TOKEN, app_client, wait_for, wait_status

INGEST = "/api/ingest/runs"


def open_run(client, **body) -> dict:
    response = client.post(INGEST, json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


def batch(seq: int, **series) -> dict:
    """A batch of series given as name=[(step, value), ...] (time: step / 10)."""
    return {"seq": seq, "series": {name.replace("__", "/"): {
        "step": [s for s, _ in pts], "value": [v for _, v in pts],
        "time": [s / 10 for s, _ in pts]} for name, pts in series.items()}}  # fmt: skip


def send(client, run_id: int, body: dict, code: int = 200) -> dict:
    response = client.post(f"{INGEST}/{run_id}/points", json=body)
    assert response.status_code == code, response.text
    return response.json()


def stored(client, run_id: int, name: str) -> list:
    page = client.get(f"/api/runs/{run_id}/series/{name}").json()
    return list(zip(page["step"], page["value"], strict=True))


@pytest.fixture
def run_id(client) -> int:
    return open_run(client, name="mine", config={"lr": 0.001, "layers": [64, 64]})["run"]["id"]


def test_open_makes_a_running_sdk_run_with_the_config_as_given(client):
    opened = open_run(client, name="mine", config={"lr": 0.001, "nested": {"a": [1, None]}},
                      tags=["mnist"], notes="first try")  # fmt: skip
    run = opened["run"]
    assert (opened["last_seq"], opened["last_steps"]) == (-1, {})
    assert run["source"] == "sdk" and run["variant"] is None and run["device"] is None
    assert run["status"] == "running" and run["primary"] == "loss"
    assert run["config"] == {"lr": 0.001, "nested": {"a": [1, None]}}
    assert client.get("/api/runs", params={"tag": "mnist"}).json()["runs"][0]["id"] == run["id"]


def test_open_with_the_same_client_key_opens_the_same_run(client):
    first = client.post(INGEST, json={"client_key": "offline-abc"})
    send(
        client, first.json()["run"]["id"], batch(0, loss=[(0, 1.0), (1, 0.5)], val__acc=[(0, 0.1)])
    )
    again = client.post(INGEST, json={"client_key": "offline-abc"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["run"]["id"] == first.json()["run"]["id"]
    assert again.json()["last_seq"] == 0
    assert again.json()["last_steps"] == {"loss": 1, "val/acc": 0}
    assert client.get("/api/runs").json()["total"] == 1


def test_resume_reopens_a_finished_run_and_refuses_others(client, run_id):
    client.post(f"{INGEST}/{run_id}/finish", json={"status": "completed"})
    resumed = client.post(INGEST, json={"resume": run_id})
    assert resumed.status_code == 200 and resumed.json()["run"]["status"] == "running"
    assert client.post(INGEST, json={"resume": 999}).status_code == 404
    job = client.post("/api/runs", json={"variant": "numpy", "iterations": 2, "N": 2, "D_in": 2,
                                         "H": 2, "D_out": 1}).json()  # fmt: skip
    refused = client.post(INGEST, json={"resume": job["id"]})
    assert refused.status_code == 409 and "trained by the server" in refused.json()["detail"]


def test_points_are_stored_and_a_replay_is_acknowledged_not_stored(client, run_id):
    body = batch(0, loss=[(0, 2.0), (1, 1.5)], val__acc=[(0, 0.25)])
    assert send(client, run_id, body) == {"seq": 0, "stored": 3, "should_stop": False}
    assert send(client, run_id, body) == {"seq": 0, "stored": 0, "should_stop": False}
    assert stored(client, run_id, "loss") == [(0, 2.0), (1, 1.5)]
    assert stored(client, run_id, "val/acc") == [(0, 0.25)]
    run = client.get(f"/api/runs/{run_id}").json()
    assert (run["iteration"], run["last_loss"], run["best_loss"]) == (2, 1.5, 1.5)


def test_a_batch_after_a_missing_one_is_refused(client, run_id):
    send(client, run_id, batch(0, loss=[(0, 1.0)]))
    refused = send(client, run_id, batch(2, loss=[(5, 1.0)]), 409)
    assert refused["detail"] == "expected seq 1"


def test_an_empty_batch_is_a_heartbeat(client, run_id):
    assert send(client, run_id, {"seq": 0})["stored"] == 0
    assert send(client, run_id, batch(1, loss=[(0, 1.0)]))["stored"] == 1


def test_non_finite_values_are_stored_as_gaps_and_the_run_goes_on(client, run_id):
    send(client, run_id, batch(0, loss=[(0, 1.0), (1, None), (2, "NaN"), (3, "Infinity"),
                                        (4, "-Infinity"), (5, 0.5)]))  # fmt: skip
    assert stored(client, run_id, "loss") == [(0, 1.0), (1, None), (2, None), (3, None),
                                             (4, None), (5, 0.5)]  # fmt: skip
    assert client.get(f"/api/runs/{run_id}").json()["status"] == "running"


def refusal(client, run_id: int, body: dict) -> tuple[list, str]:
    detail = send(client, run_id, body, 422)["detail"][0]
    return detail["loc"], detail["msg"]


@pytest.mark.parametrize(
    ("name", "why"),
    [("", "at least 1 character"), ("x" * 129, "at most 128 characters"),
     ("bad\nname", "printable characters only")],
)  # fmt: skip
def test_a_bad_series_name_is_refused_naming_it(client, run_id, name, why):
    body = {"seq": 0, "series": {"loss": {"step": [0], "value": [1.0], "time": [0.0]},
                                 name: {"step": [0], "value": [1.0], "time": [0.0]}}}  # fmt: skip
    loc, msg = refusal(client, run_id, body)
    assert loc[:3] == ["body", "series", name] and why in msg
    assert client.get(f"/api/runs/{run_id}/series").json()["series"] == []  # nothing written


@pytest.mark.parametrize("value", ["abc", True, {"a": 1}, [1.0], "1.5"])
def test_a_value_that_is_not_a_number_is_refused_naming_the_series(client, run_id, value):
    loc, _ = refusal(client, run_id, batch(0, val__acc=[(0, 1.0), (1, value)]))
    assert loc[:5] == ["body", "series", "val/acc", "value", 1]


@pytest.mark.parametrize(
    ("points", "why"),
    [({"step": [0, 1], "value": [1.0], "time": [0, 0]}, "must hold as many"),
     ({"step": [1, 1], "value": [1, 2], "time": [0, 0]}, "increase strictly"),
     ({"step": [-1], "value": [1], "time": [0]}, "greater than or equal to 0"),
     ({"step": [0], "value": [1], "time": ["NaN"]}, "finite"),
     ({"step": [0], "value": [1]}, "Field required")],
)  # fmt: skip
def test_a_malformed_series_is_refused_naming_it(client, run_id, points, why):
    loc, msg = refusal(client, run_id, {"seq": 0, "series": {"val/acc": points}})
    assert loc[:3] == ["body", "series", "val/acc"] and why in msg


def test_a_step_going_backwards_is_refused_naming_the_series(client, run_id):
    send(client, run_id, batch(0, val__acc=[(10, 0.5)]))
    loc, msg = refusal(client, run_id, batch(1, loss=[(0, 1.0)], val__acc=[(5, 0.6)]))
    assert loc == ["body", "series", "val/acc", "step"]
    assert msg == "step going backwards in series 'val/acc': 5 after 10"
    assert stored(client, run_id, "val/acc") == [(10, 0.5)]
    assert client.get(f"/api/runs/{run_id}/series").json()["series"][0]["name"] == "val/acc"
    assert send(client, run_id, batch(1, loss=[(0, 1.0)]))["stored"] == 1  # seq 1 still free


def test_the_thousand_and_first_series_is_refused_naming_it(client, run_id):
    first = {f"s{i:04}": [(0, 1.0)] for i in range(999)}
    send(client, run_id, batch(0, **first))
    loc, msg = refusal(client, run_id, batch(1, s0999=[(0, 1.0)], s1000=[(0, 1.0)]))
    assert loc == ["body", "series", "s1000"] and "at most 1000" in msg
    assert len(client.get(f"/api/runs/{run_id}/series").json()["series"]) == 999
    assert send(client, run_id, batch(1, s0999=[(0, 1.0)]))["stored"] == 1


def test_more_than_a_thousand_series_in_one_batch_are_refused(client, run_id):
    loc, msg = refusal(client, run_id, batch(0, **{f"s{i}": [(0, 1.0)] for i in range(1001)}))
    assert loc == ["body", "series"] and "at most 1000" in msg


def test_a_config_over_64_kib_is_refused_naming_it(client):
    response = client.post(INGEST, json={"config": {"big": "x" * 70_000}})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "config"] and "at most 65,536" in detail["msg"]
    assert client.get("/api/runs").json()["total"] == 0


def test_a_body_over_the_limit_is_refused(tmp_path):
    with app_client(tmp_path, max_body_bytes=1000) as client:
        run_id = open_run(client)["run"]["id"]
        response = send(client, run_id, batch(0, loss=[(i, 1.0) for i in range(200)]), 413)
        assert "1000" in response["detail"]


def test_points_for_a_job_run_or_an_ended_run_are_refused(client, run_id):
    job = client.post("/api/runs", json={"variant": "numpy", "iterations": 2, "N": 2, "D_in": 2,
                                         "H": 2, "D_out": 1}).json()  # fmt: skip
    assert "trained by the server" in send(client, job["id"], batch(0), 409)["detail"]
    assert send(client, 999, batch(0), 404)["detail"] == "run 999 does not exist"
    client.post(f"{INGEST}/{run_id}/finish", json={"status": "completed"})
    assert "has ended (completed)" in send(client, run_id, batch(0, loss=[(0, 1.0)]), 409)["detail"]


def test_finish_sets_the_status_once(client, run_id):
    failed = client.post(f"{INGEST}/{run_id}/finish", json={"status": "failed", "error": "boom"})
    assert failed.status_code == 200
    assert (failed.json()["status"], failed.json()["error"]) == ("failed", "boom")
    again = client.post(f"{INGEST}/{run_id}/finish", json={"status": "failed", "error": "boom"})
    assert again.status_code == 200
    other = client.post(f"{INGEST}/{run_id}/finish", json={"status": "completed"})
    assert other.status_code == 409 and "ended failed already" in other.json()["detail"]


def test_cancel_asks_the_client_to_stop_and_kills_nothing(client, run_id):
    assert send(client, run_id, {"seq": 0})["should_stop"] is False
    cancelled = client.post(f"/api/runs/{run_id}/cancel")
    assert cancelled.status_code == 202 and cancelled.json()["status"] == "running"
    assert send(client, run_id, {"seq": 1})["should_stop"] is True
    finished = client.post(f"{INGEST}/{run_id}/finish", json={"status": "cancelled"}).json()
    assert finished["status"] == "cancelled"


def test_a_silent_client_is_interrupted_and_comes_back(tmp_path):
    with app_client(tmp_path, sdk_timeout_s=0.2) as client:
        run_id = open_run(client)["run"]["id"]
        run = wait_status(client, run_id, ["interrupted"], timeout=10)
        assert run["error"] == "no word from the client for 0.2 s"
        assert send(client, run_id, batch(0, loss=[(0, 1.0)]))["stored"] == 1
        revived = client.get(f"/api/runs/{run_id}").json()
        assert (revived["status"], revived["error"]) == ("running", None)


def test_a_restarted_server_leaves_a_scripts_run_running(tmp_path):
    with app_client(tmp_path) as client:
        run_id = open_run(client)["run"]["id"]
        send(client, run_id, batch(0, loss=[(0, 1.0)]))
    with app_client(tmp_path) as client:
        assert client.get(f"/api/runs/{run_id}").json()["status"] == "running"
        assert send(client, run_id, batch(0, loss=[(0, 1.0)]))["stored"] == 0  # a replay
        assert send(client, run_id, batch(1, loss=[(1, 2.0)]))["stored"] == 1


def test_a_scripts_run_cannot_run_again_nor_be_deleted_while_running(client, run_id):
    rerun = client.post(f"/api/runs/{run_id}/rerun")
    assert rerun.status_code == 409 and "logged by a script" in rerun.json()["detail"]
    assert client.delete(f"/api/runs/{run_id}").status_code == 409
    client.post(f"{INGEST}/{run_id}/finish", json={"status": "completed"})
    assert client.delete(f"/api/runs/{run_id}").status_code == 204
    assert client.get(f"/api/runs/{run_id}/series").status_code == 404


def test_ingest_needs_the_token(token_client):
    assert token_client.post(INGEST, json={}).status_code == 401
    wrong = {"Authorization": "Bearer wrong-token-wrong-token"}
    assert token_client.post(INGEST, json={}, headers=wrong).status_code == 401
    good = {"Authorization": f"Bearer {TOKEN}"}
    run_id = token_client.post(INGEST, json={}, headers=good).json()["run"]["id"]
    assert token_client.post(f"{INGEST}/{run_id}/points", json={"seq": 0}).status_code == 401


def test_the_runs_list_shows_a_scripts_run_with_its_progress(client, run_id):
    send(client, run_id, batch(0, loss=[(0, 3.0), (9, 2.0)]))
    run = client.get("/api/runs").json()["runs"][0]
    assert (run["source"], run["iteration"], run["best_loss"]) == ("sdk", 10, 2.0)
    wait_for(lambda: client.get(f"/api/runs/{run_id}").json()["iterations_per_second"])


def test_points_sent_to_a_job_run_never_get_it_interrupted(tmp_path):
    with app_client(tmp_path, sdk_timeout_s=0.2) as client:
        job = client.post("/api/runs", json={"variant": "tensors", "iterations": 10**7, **TINY})
        job_id = job.json()["id"]
        wait_status(client, job_id, ["running"])
        send(client, job_id, batch(0), 409)
        script = open_run(client)["run"]["id"]
        wait_status(client, script, ["interrupted"], timeout=10)  # the watchdog has looked
        assert client.app.state.manager.store.get_run(job_id)["status"] == "running"
        client.post(f"/api/runs/{job_id}/cancel")


@pytest.mark.parametrize(("key", "why"), [("", "at least 1 character"),
                                          ("k" * 65, "at most 64 characters"),
                                          ("a\tb", "printable characters only")])  # fmt: skip
def test_a_bad_client_key_is_refused_naming_it(client, key, why):
    response = client.post(INGEST, json={"client_key": key})
    detail = response.json()["detail"][0]
    assert response.status_code == 422 and detail["loc"][:2] == ["body", "client_key"]
    assert why in detail["msg"]


def test_the_primary_series_gives_the_runs_last_and_best(client):
    run_id = open_run(client, primary="val/loss")["run"]["id"]
    send(client, run_id, batch(0, loss=[(0, 0.1)], val__loss=[(0, 2.0), (1, 1.0), (2, 1.5)]))
    run = client.get(f"/api/runs/{run_id}").json()
    assert (run["primary"], run["last_loss"], run["best_loss"]) == ("val/loss", 1.5, 1.0)
    assert client.get(f"/api/runs/{run_id}/series").json()["primary"] == "val/loss"


def test_another_sites_page_cannot_log_to_a_run(client, run_id):
    evil = {"Origin": "http://evil.example"}
    assert client.post(INGEST, json={}, headers=evil).status_code == 403
    assert (
        client.post(f"{INGEST}/{run_id}/points", json={"seq": 0}, headers=evil).status_code == 403
    )
    finish = client.post(f"{INGEST}/{run_id}/finish", json={"status": "failed"}, headers=evil)
    assert finish.status_code == 403
    assert client.get(f"/api/runs/{run_id}").json()["status"] == "running"


@pytest.mark.parametrize(
    "body", [{"status": "done"}, {"status": "completed", "extra": 1}, {"error": "x"}]
)
def test_a_bad_finish_is_refused_and_changes_nothing(client, run_id, body):
    response = client.post(f"{INGEST}/{run_id}/finish", json=body)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][0] == "body"
    assert client.get(f"/api/runs/{run_id}").json()["status"] == "running"


@pytest.mark.parametrize("seq", [-1, "0", 1.5, None])
def test_a_bad_seq_is_refused_naming_it(client, run_id, seq):
    loc, _ = refusal(client, run_id, {"seq": seq})
    assert loc == ["body", "seq"]
