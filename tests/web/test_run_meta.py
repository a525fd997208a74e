"""A run's metadata (PATCH /api/runs/{id}), "run again" (POST .../rerun) and its queue place."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.helpers import TINY, wait_status

SHORT = {"variant": "tensors", "iterations": 3, **TINY}
LONG = {"variant": "tensors", "iterations": 1_000_000, **TINY}


def start(client, **fields) -> dict:
    response = client.post("/api/runs", json={**SHORT, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def finished(client, **fields) -> dict:
    return wait_status(client, start(client, **fields)["id"])


@pytest.fixture
def done(client) -> dict:
    """A finished run, asked for on device auto with a seed."""
    return finished(client, seed=7, name="first")


def error_loc(response) -> list:
    assert response.status_code == 422, response.text
    return response.json()["detail"][0]["loc"]


def test_new_run_starts_with_no_notes_no_tags_and_its_request(done):
    assert done["notes"] == "" and done["tags"] == [] and done["queue"] is None
    assert done["request"] == {
        "variant": "tensors", "device": "auto", "iterations": 3, "learning_rate": None,
        "optimizer": None, "seed": 7, "dtype": None, "name": "first", "points": None, **TINY,
    }  # fmt: skip


def test_patch_sets_notes_and_tags_and_keeps_the_rest(client, done):
    body = {"notes": "lr too high?\nsecond line", "tags": ["baseline", "cpu run"]}
    response = client.patch(f"/api/runs/{done['id']}", json=body)
    assert response.status_code == 200
    assert response.json() == {**done, **body}
    assert client.get(f"/api/runs/{done['id']}").json() == {**done, **body}


def test_patch_name_blank_clears_it(client, done):
    assert client.patch(f"/api/runs/{done['id']}", json={"name": "  "}).json()["name"] is None


def test_patch_tags_trimmed_and_each_kept_once(client, done):
    tags = [" a ", "b", "a"]
    assert client.patch(f"/api/runs/{done['id']}", json={"tags": tags}).json()["tags"] == ["a", "b"]


def test_patch_of_a_running_run_shows_at_once_and_is_stored(client):
    run = start(client, **{k: v for k, v in LONG.items() if k != "variant"})
    wait_status(client, run["id"], ["running"])
    patched = client.patch(f"/api/runs/{run['id']}", json={"tags": ["live"], "name": "on"})
    assert patched.json()["tags"] == ["live"] and patched.json()["status"] == "running"
    client.post(f"/api/runs/{run['id']}/cancel")
    final = wait_status(client, run["id"])
    stored = client.app.state.manager.store.get_run(run["id"])
    assert final["tags"] == stored["tags"] == ["live"] and stored["name"] == "on"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"name": "n" * 201}, ["body", "name"]),
        ({"notes": "x" * 10_001}, ["body", "notes"]),
        ({"notes": None}, ["body", "notes"]),
        ({"tags": [f"t{i}" for i in range(21)]}, ["body", "tags"]),
        ({"tags": ["ok", "a,b"]}, ["body", "tags", 1]),
        ({"tags": ["t" * 41]}, ["body", "tags", 0]),
        ({"tags": ["   "]}, ["body", "tags", 0]),
        ({"tags": ["bell\x07"]}, ["body", "tags", 0]),
        ({"tags": "one"}, ["body", "tags"]),
        ({"colour": "red"}, ["body", "colour"]),
    ],
)
def test_patch_bad_value_is_422_naming_the_field(client, done, body, loc):
    assert error_loc(client.patch(f"/api/runs/{done['id']}", json=body)) == loc
    assert client.get(f"/api/runs/{done['id']}").json() == done


def test_patch_of_unknown_run_is_404(client):
    assert client.patch("/api/runs/999", json={"notes": "x"}).status_code == 404


def test_patch_from_another_site_is_403(client, done):
    response = client.patch(
        f"/api/runs/{done['id']}", json={"notes": "x"}, headers={"Origin": "http://evil.example"}
    )
    assert response.status_code == 403
    assert client.get(f"/api/runs/{done['id']}").json()["notes"] == ""


def test_rerun_queues_the_request_as_submitted_with_the_same_seed(client):
    first = finished(client, name="again")  # no seed asked: a random one
    response = client.post(f"/api/runs/{first['id']}/rerun")
    assert response.status_code == 201
    again = wait_status(client, response.json()["id"])
    assert again["request"] == first["request"] and again["request"]["device"] == "auto"
    assert again["config"] == first["config"] and again["name"] == "again"
    losses = [client.get(f"/api/runs/{r['id']}/losses").json()["loss"] for r in (first, again)]
    assert losses[0] == losses[1]


def test_rerun_names_its_source_which_lists_it(client, done):
    again = client.post(f"/api/runs/{done['id']}/rerun").json()
    assert again["rerun_of"] == done["id"] and done["rerun_of"] is None
    listed = client.get(f"/api/runs?rerun_of={done['id']}").json()["runs"]
    assert [run["id"] for run in listed] == [again["id"]]


def test_rerun_takes_the_run_s_name_now(client, done):
    client.patch(f"/api/runs/{done['id']}", json={"name": "renamed"})
    again = client.post(f"/api/runs/{done['id']}/rerun").json()
    assert again["name"] == "renamed" and again["request"]["name"] == "renamed"


def test_new_run_may_name_the_run_it_repeats(client, done):
    run = start(client, rerun_of=done["id"], seed=3)
    assert run["rerun_of"] == done["id"] and "rerun_of" not in run["request"]


def test_new_run_repeating_an_unknown_run_is_422(client):
    assert error_loc(client.post("/api/runs", json={**SHORT, "rerun_of": 999})) == [
        "body",
        "rerun_of",
    ]


def test_rerun_with_a_seed_puts_it_in_the_request(client, done):
    again = client.post(f"/api/runs/{done['id']}/rerun", json={"seed": 11}).json()
    assert again["request"] == {**done["request"], "seed": 11} and again["config"]["seed"] == 11


def test_rerun_with_null_seed_draws_a_fresh_one(client, done):
    again = client.post(f"/api/runs/{done['id']}/rerun", json={"seed": None}).json()
    assert again["request"] == {**done["request"], "seed": None}
    assert again["config"]["seed"] != done["config"]["seed"]  # 1 in 2**32 to fail by chance


def test_rerun_of_a_cancelled_run_is_allowed(client):
    run = start(client, **{k: v for k, v in LONG.items() if k != "variant"})
    client.post(f"/api/runs/{run['id']}/cancel")
    wait_status(client, run["id"])
    again = client.post(f"/api/runs/{run['id']}/rerun")
    assert again.status_code == 201
    client.post(f"/api/runs/{again.json()['id']}/cancel")


def test_rerun_while_live_is_409(client):
    run = start(client, **{k: v for k, v in LONG.items() if k != "variant"})
    response = client.post(f"/api/runs/{run['id']}/rerun")
    assert response.status_code == 409 and "once it ends" in response.json()["detail"]
    client.post(f"/api/runs/{run['id']}/cancel")


def test_rerun_of_unknown_run_is_404(client):
    assert client.post("/api/runs/999/rerun").status_code == 404


@pytest.mark.parametrize(
    ("body", "loc"),
    [({"seed": -1}, ["body", "seed"]), ({"seed": "x"}, ["body", "seed"]),
     ({"iterations": 5}, ["body", "iterations"])],
)  # fmt: skip
def test_rerun_bad_body_is_422_naming_the_field(client, done, body, loc):
    assert error_loc(client.post(f"/api/runs/{done['id']}/rerun", json=body)) == loc


def test_rerun_of_a_request_this_server_cannot_run_is_409_naming_the_field(client):
    store = client.app.state.manager.store
    request = {**SHORT, "device": "cuda:7", "seed": 1}
    run_id = store.create_run(
        {"variant": "tensors", "config": {**request, "device": "cuda:7"}, "device": "cuda:7",
         "status": "completed", "created_at": 0.0, "request": request}
    )  # fmt: skip
    response = client.post(f"/api/runs/{run_id}/rerun")
    assert response.status_code == 409 and "device: " in response.json()["detail"]


def test_queued_runs_show_their_place_in_their_lane(client):
    running = start(client, **{k: v for k, v in LONG.items() if k != "variant"})
    wait_status(client, running["id"], ["running"])
    queued = [start(client) for _ in range(2)]
    assert [run["queue"] for run in queued] == [
        {"lane": "cpu", "ahead": 0},
        {"lane": "cpu", "ahead": 1},
    ]
    client.post(f"/api/runs/{queued[0]['id']}/cancel")
    assert client.get(f"/api/runs/{queued[1]['id']}").json()["queue"]["ahead"] == 0
    listed = [r["queue"] for r in client.get("/api/runs").json()["runs"]]  # newest first
    assert listed == [{"lane": "cpu", "ahead": 0}, None, None]
    client.post(f"/api/runs/{running['id']}/cancel")


@contextmanager
def unblocked(client, run_id: int, after_s: float = 10.0) -> Iterator[None]:
    """Cancel `run_id` after `after_s` unless the block has ended: a socket that never sends
    what the test waits for then sends that run's start, and the test fails instead of hanging."""
    timer = threading.Timer(after_s, lambda: client.post(f"/api/runs/{run_id}/cancel"))
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def test_queued_run_socket_says_when_its_place_moves_up(client):
    running = start(client, **{k: v for k, v in LONG.items() if k != "variant"})
    wait_status(client, running["id"], ["running"])
    first, second = start(client), start(client)
    with (
        client.websocket_connect(f"/ws/runs/{second['id']}") as ws,
        unblocked(client, running["id"]),
    ):
        assert ws.receive_json()["run"]["queue"] == {"lane": "cpu", "ahead": 1}
        client.post(f"/api/runs/{first['id']}/cancel")
        message = ws.receive_json()
        assert message["run"]["status"] == "queued"
        assert message["run"]["queue"] == {"lane": "cpu", "ahead": 0}
    client.post(f"/api/runs/{running['id']}/cancel")


def test_run_list_socket_sends_the_runs_behind_one_that_leaves_the_queue(client):
    running = start(client, **{k: v for k, v in LONG.items() if k != "variant"})
    wait_status(client, running["id"], ["running"])
    first, second = start(client), start(client)
    with client.websocket_connect("/ws/runs") as ws, unblocked(client, running["id"]):
        seen = {m["run"]["id"]: m["run"] for m in (ws.receive_json() for _ in range(3))}
        assert seen[second["id"]]["queue"]["ahead"] == 1
        client.post(f"/api/runs/{first['id']}/cancel")
        moved = {}
        while second["id"] not in moved:
            run = ws.receive_json()["run"]
            moved[run["id"]] = run
        assert moved[second["id"]]["queue"] == {"lane": "cpu", "ahead": 0}
    client.post(f"/api/runs/{running['id']}/cancel")
