"""Steering runs through the API: pause, resume and step; live learning-rate changes; the trained
model; and every refusal, which leaves the run as it was."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator

import pytest
import torch
from fastapi.testclient import TestClient

from server.training.spec import RunSpec, resolve
from tests.helpers import TINY, app_client, wait_for, wait_status

# long enough to pause mid-way, short enough to run whole twice (the unbroken run to compare)
STEERED = {"variant": "optim", "optimizer": "adam", "device": "cpu", "iterations": 20_000,
           "seed": 11, **TINY}  # fmt: skip
ENDLESS = {"variant": "nn", "device": "cpu", "iterations": 10_000_000, **TINY}
PAUSED = ("paused",)


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator[TestClient]:
    """One lane (a CPU worker): a paused run must hand it to the next."""
    data = tmp_path_factory.mktemp("control")
    with app_client(data, workers_per_device=1, checkpoint_every_s=0.2) as client:
        yield client


@pytest.fixture(autouse=True)
def idle(client) -> Iterator[None]:
    """Each test starts with the lane free, and leaves nothing going."""
    yield
    for run in client.get("/api/runs", params={"limit": 200}).json()["runs"]:
        if run["status"] in ("queued", "running", "paused"):
            client.post(f"/api/runs/{run['id']}/cancel")
            wait_status(client, run["id"])


def start(client: TestClient, request: dict) -> dict:
    return client.post("/api/runs", json=request).json()


def get(client: TestClient, run_id: int) -> dict:
    return client.get(f"/api/runs/{run_id}").json()


def losses(client: TestClient, run_id: int) -> dict:
    return client.get(f"/api/runs/{run_id}/losses").json()


def paused_mid_way(client: TestClient, request: dict, at_least: int = 2000) -> dict:
    """A run paused after at least `at_least` steps."""
    run = start(client, request)
    wait_for(lambda: get(client, run["id"])["iteration"] >= at_least)
    assert client.post(f"/api/runs/{run['id']}/pause").status_code == 200
    wait_status(client, run["id"], PAUSED)
    return wait_for(lambda: checkpointed(client, run["id"]))


def checkpointed(client: TestClient, run_id: int) -> dict | None:
    """The paused run once its pause's checkpoint is on disk."""
    run = get(client, run_id)
    return run if run["checkpoint"] and run["checkpoint"]["step"] == run["iteration"] else None


def unbroken(client: TestClient, request: dict) -> list[float]:
    """The losses of the same request run through without a stop."""
    run = start(client, request)
    assert wait_status(client, run["id"])["status"] == "completed"
    return losses(client, run["id"])["loss"]


def test_pause_checkpoints_frees_the_lane_and_resume_gives_the_unbroken_series(client):
    a = start(client, STEERED)
    wait_for(lambda: get(client, a["id"])["iteration"] >= 2000)
    b = start(client, {**STEERED, "seed": 12})  # waits behind a on the one lane
    assert get(client, b["id"])["status"] == "queued"
    client.post(f"/api/runs/{a['id']}/pause")
    held = wait_status(client, a["id"], PAUSED)
    assert wait_status(client, b["id"], ("running", "completed"))  # a gave b its lane
    held = wait_for(lambda: checkpointed(client, a["id"]))  # written after the lane is free
    assert held["checkpoint"]["step"] == held["iteration"]  # the step it goes on from
    assert held["checkpoint"]["bytes"] > 0
    answer = client.post(f"/api/runs/{a['id']}/resume").json()
    assert answer["step"] == held["iteration"] and answer["checkpoint"] is True
    assert answer["run"]["status"] == "queued"
    assert wait_status(client, a["id"])["status"] == "completed"
    got = losses(client, a["id"])
    assert got["step"] == list(range(STEERED["iterations"]))  # each step once
    assert got["loss"] == unbroken(client, STEERED)


def test_step_runs_exactly_n_more_iterations_then_pauses_again(client):
    run = paused_mid_way(client, STEERED)
    before = run["iteration"]
    answer = client.post(f"/api/runs/{run['id']}/step", json={"n": 1}).json()
    assert answer["step"] == before
    wait_for(lambda: get(client, run["id"])["iteration"] == before + 1)
    wait_status(client, run["id"], PAUSED)
    again = wait_for(lambda: checkpointed(client, run["id"]))
    assert again["iteration"] == before + 1
    client.post(f"/api/runs/{run['id']}/step", json={"n": 25})
    wait_for(lambda: get(client, run["id"])["iteration"] == before + 26)
    assert wait_status(client, run["id"], PAUSED)["iteration"] == before + 26


def test_a_live_learning_rate_change_is_an_event_a_series_and_a_rerun_repeats_it(client):
    run = paused_mid_way(client, STEERED)
    at = run["iteration"]
    answer = client.patch(f"/api/runs/{run['id']}/hyper", json={"learning_rate": 3e-4}).json()
    event = answer["run"]["events"][0]
    assert (event["step"], event["field"], event["old"], event["new"]) == (
        at,
        "learning_rate",
        1e-4,
        3e-4,
    )
    client.post(f"/api/runs/{run['id']}/resume")
    wait_for(lambda: get(client, run["id"])["iteration"] >= at + 2000)
    changed = client.patch(f"/api/runs/{run['id']}/hyper", json={"learning_rate": 5e-5})
    assert changed.status_code == 200
    done = wait_status(client, run["id"])
    assert done["status"] == "completed" and len(done["events"]) == 2
    second = done["events"][1]
    assert second["step"] > at and (second["old"], second["new"]) == (3e-4, 5e-5)
    lr = client.get(f"/api/runs/{run['id']}/series/lr").json()
    assert lr["step"] == [0, at, second["step"]] and lr["value"] == [1e-4, 3e-4, 5e-5]
    assert done["request"]["schedule"] == [
        {"step": at, "field": "learning_rate", "value": 3e-4},
        {"step": second["step"], "field": "learning_rate", "value": 5e-5},
    ]
    series = losses(client, run["id"])["loss"]
    assert series != unbroken(client, STEERED)  # the changes did change it
    again = client.post(f"/api/runs/{run['id']}/rerun").json()
    assert wait_status(client, again["id"])["status"] == "completed"
    assert losses(client, again["id"])["loss"] == series  # bit for bit, changes and all
    assert [e["step"] for e in get(client, again["id"])["events"]] == [at, second["step"]]


def test_the_model_loads_with_weights_only_and_gives_the_runs_last_loss(client):
    request = {"variant": "nn", "device": "cpu", "iterations": 40, "seed": 5, **TINY}
    run = wait_status(client, start(client, request)["id"])
    got = client.get(f"/api/runs/{run['id']}/model")
    assert got.status_code == 200 and got.headers["x-lossboard-step"] == "39"
    weights = torch.load(io.BytesIO(got.content), weights_only=True)
    config = resolve(RunSpec(**request), "cpu")
    g = torch.Generator().manual_seed(config.seed)  # the run's data, drawn again from its seed
    x = torch.randn(config.N, config.D_in, generator=g)
    y = torch.randn(config.N, config.D_out, generator=g)
    model = torch.nn.Sequential(  # the tutorial's own model
        torch.nn.Linear(config.D_in, config.H, bias=False),
        torch.nn.ReLU(),
        torch.nn.Linear(config.H, config.D_out, bias=False),
    )
    model.load_state_dict(weights)
    loss = torch.nn.MSELoss(reduction="sum")(model(x), y).item()
    assert loss == run["last_loss"]


def test_a_running_runs_model_is_its_last_checkpoints_and_says_its_step(client):
    run = paused_mid_way(client, STEERED)
    got = client.get(f"/api/runs/{run['id']}/model")
    assert got.status_code == 200 and int(got.headers["x-lossboard-step"]) == run["iteration"]
    assert set(torch.load(io.BytesIO(got.content), weights_only=True)) == {
        "0.weight",
        "2.weight",
    }


def test_a_completed_run_names_no_checkpoint_once_only_its_model_is_kept(client):
    short = {**STEERED, "iterations": 3000}
    run = paused_mid_way(client, short, at_least=500)
    assert client.post(f"/api/runs/{run['id']}/resume").status_code == 200
    done = wait_status(client, run["id"])
    assert done["status"] == "completed"
    # its step checkpoints are deleted once its model is written: nothing to describe
    wait_for(lambda: get(client, run["id"])["checkpoint"] is None)
    got = client.get(f"/api/runs/{run['id']}/model")
    assert got.headers["x-lossboard-step"] == str(short["iterations"] - 1)


def refused_leaving_it(client: TestClient, run_id: int, call, status: int, *words: str) -> None:
    """The call is refused with `status` and a detail naming `words`, and the run is as it was
    (its status, steps, events and request)."""
    keys = ("status", "iteration", "events", "request", "checkpoint")
    before = {k: get(client, run_id)[k] for k in keys}
    answer = call()
    assert answer.status_code == status, answer.text
    detail = str(answer.json()["detail"])
    assert all(word in detail for word in words), detail
    assert {k: get(client, run_id)[k] for k in keys} == before


def test_resume_of_a_completed_run_is_refused(client):
    run = wait_status(client, start(client, {**STEERED, "iterations": 5})["id"])
    post = lambda: client.post(f"/api/runs/{run['id']}/resume")  # noqa: E731
    refused_leaving_it(client, run["id"], post, 409, "completed", "paused or interrupted")


def test_pause_of_a_queued_run_is_refused(client):
    busy = start(client, ENDLESS)
    waiting = start(client, ENDLESS)
    wait_status(client, busy["id"], ("running",))
    post = lambda: client.post(f"/api/runs/{waiting['id']}/pause")  # noqa: E731
    refused_leaving_it(client, waiting["id"], post, 409, "queued", "only a running run")


def test_a_step_past_the_end_is_refused_naming_n(client):
    run = paused_mid_way(client, STEERED)
    left = STEERED["iterations"] - run["iteration"]
    post = lambda: client.post(f"/api/runs/{run['id']}/step", json={"n": left + 1})  # noqa: E731
    refused_leaving_it(client, run["id"], post, 422, "n", f"at most {left}")
    for bad in (0, -1, "2", 1.5):
        answer = client.post(f"/api/runs/{run['id']}/step", json={"n": bad})
        assert answer.status_code == 422 and "n" in str(answer.json()["detail"])


@pytest.mark.parametrize("bad", [0, -1e-3, "NaN", "0.001", None, True])
def test_a_learning_rate_that_is_not_a_positive_number_is_refused(client, bad):
    run = paused_mid_way(client, STEERED, at_least=10)
    body = '{"learning_rate": NaN}' if bad == "NaN" else None
    patch = lambda: client.patch(  # noqa: E731
        f"/api/runs/{run['id']}/hyper",
        content=body,
        json=None if body else {"learning_rate": bad},
        headers={"content-type": "application/json"},
    )
    refused_leaving_it(client, run["id"], patch, 422, "learning_rate")


def test_a_hyperparameter_the_variant_does_not_take_is_refused(client):
    run = paused_mid_way(client, STEERED, at_least=10)
    patch = lambda: client.patch(f"/api/runs/{run['id']}/hyper", json={"momentum": 0.5})  # noqa: E731
    refused_leaving_it(client, run["id"], patch, 422, "momentum", "learning_rate")


def test_hyper_on_a_finished_run_is_refused(client):
    run = wait_status(client, start(client, {**STEERED, "iterations": 5})["id"])
    patch = lambda: client.patch(  # noqa: E731
        f"/api/runs/{run['id']}/hyper", json={"learning_rate": 1e-3}
    )
    refused_leaving_it(client, run["id"], patch, 409, "completed")


def test_steering_an_unknown_run_is_404(client):
    for answer in (
        client.post("/api/runs/999999/pause"),
        client.post("/api/runs/999999/resume"),
        client.post("/api/runs/999999/step", json={"n": 1}),
        client.patch("/api/runs/999999/hyper", json={"learning_rate": 1.0}),
        client.get("/api/runs/999999/model"),
    ):
        assert answer.status_code == 404, answer.text


def test_a_run_without_a_checkpoint_has_no_model_and_says_why(client):
    run = start(client, ENDLESS)
    answer = client.get(f"/api/runs/{run['id']}/model")
    assert answer.status_code == 404 and "no model" in answer.json()["detail"]


def test_momentum_changes_live_on_the_dynamic_net(client):
    request = {"variant": "dynamic", "device": "cpu", "iterations": 3000, "seed": 2, **TINY}
    run = paused_mid_way(client, request, at_least=100)
    answer = client.patch(f"/api/runs/{run['id']}/hyper", json={"momentum": 0.5}).json()
    assert answer["run"]["events"][0]["old"] == 0.9
    client.post(f"/api/runs/{run['id']}/resume")
    assert wait_status(client, run["id"])["status"] == "completed"
    values = client.get(f"/api/runs/{run['id']}/series/momentum").json()["value"]
    assert values == [0.9, 0.5] and all(math.isfinite(v) for v in values)


def test_a_follower_of_a_paused_run_hears_its_change_then_its_steps(client):
    run = paused_mid_way(client, STEERED, at_least=100)
    at = run["iteration"]
    with client.websocket_connect(f"/ws/runs/{run['id']}?after={at - 1}") as socket:
        assert socket.receive_json()["run"]["status"] == "paused"
        client.patch(f"/api/runs/{run['id']}/hyper", json={"learning_rate": 2e-4})
        message = socket.receive_json()
        while message["type"] != "run":  # its system samples so far come first
            message = socket.receive_json()
        assert message["run"]["events"][0]["new"] == 2e-4
        client.post(f"/api/runs/{run['id']}/step", json={"n": 3})
        steps, lr = [], []
        while len(steps) < 3 or not lr:
            message = socket.receive_json()
            if message["type"] == "points":
                steps += range(message["start"], message["start"] + len(message["loss"]))
            elif message["type"] == "series" and message["name"] == "lr":
                lr += message["value"]
        assert steps == [at, at + 1, at + 2] and lr == [1e-4, 2e-4]
