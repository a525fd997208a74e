"""GET /metrics: Prometheus text whose counters move with runs, streams and playground evals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_om
from prometheus_client.parser import text_string_to_metric_families

from server import __version__
from tests.helpers import TINY, TOKEN, Getter, app_client, wait_for, wait_status

FAMILIES = {
    ("lossboard_runs", "counter"),
    ("lossboard_runs_active", "gauge"),
    ("lossboard_queue_depth", "gauge"),
    ("lossboard_iterations", "counter"),
    ("lossboard_run_duration_seconds", "histogram"),
    ("lossboard_ws_subscribers", "gauge"),
    ("lossboard_playground_evals", "counter"),
    ("lossboard_build_info", "gauge"),
    ("lossboard_checkpoints_written", "counter"),
    ("lossboard_checkpoints_failed", "counter"),
    ("lossboard_checkpoint_write_seconds", "counter"),
    ("lossboard_checkpoint_last_bytes", "gauge"),
    ("lossboard_checkpoint_last_write_seconds", "gauge"),
}
LABELS = {"variant", "status", "device", "outcome", "version", "le"}
SHORT = {"variant": "tensors", "device": "cpu", "iterations": 50, **TINY}
ENDLESS = {**SHORT, "iterations": 10_000_000}  # runs until cancelled


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[TestClient]:
    """One app for the module: the tests read how counters change, not their values."""
    with app_client(tmp_path_factory.mktemp("metrics")) as client:
        yield client


def samples(client: Getter) -> dict[tuple[str, frozenset], float]:
    """Every sample of GET /metrics, by name and labels."""
    text = client.get("/metrics").text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(client: Getter, name: str, **labels: str) -> float:
    return samples(client)[(name, frozenset(labels.items()))]


def runs_ended(client: Getter, status: str) -> float:
    return value(client, "lossboard_runs_total", variant="tensors", status=status)


def finished_run(client: TestClient, **fields: object) -> dict:
    """Start a short run, wait until /metrics counts its end, and return the finished run."""
    before = runs_ended(client, "completed")
    run = wait_status(client, client.post("/api/runs", json={**SHORT, **fields}).json()["id"])
    wait_for(lambda: runs_ended(client, "completed") == before + 1)
    return run


def test_metrics_text_parses_with_every_family(app):
    response = app.get("/metrics")
    families = list(text_string_to_metric_families(response.text))
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert {(family.name, family.type) for family in families} >= FAMILIES


def test_metrics_speak_openmetrics_when_asked(app):
    response = app.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert ("lossboard_runs", "counter") in {(f.name, f.type) for f in parse_om(response.text)}


def test_metrics_build_info_names_the_version(app):
    assert value(app, "lossboard_build_info", version=__version__) == 1


def test_metrics_count_a_completed_runs_iterations_and_duration(app):
    iterations = value(app, "lossboard_iterations_total", variant="tensors")
    durations = value(app, "lossboard_run_duration_seconds_count")
    finished_run(app)
    assert value(app, "lossboard_iterations_total", variant="tensors") == iterations + 50
    assert value(app, "lossboard_run_duration_seconds_count") == durations + 1


def test_metrics_count_a_cancelled_runs_iterations_so_far(app):
    iterations = value(app, "lossboard_iterations_total", variant="tensors")
    cancelled = runs_ended(app, "cancelled")
    run = app.post("/api/runs", json=ENDLESS).json()
    wait_status(app, run["id"], ["running"])
    app.post(f"/api/runs/{run['id']}/cancel")
    final = wait_status(app, run["id"])
    wait_for(lambda: runs_ended(app, "cancelled") == cancelled + 1)
    done = value(app, "lossboard_iterations_total", variant="tensors") - iterations
    assert done == final["iteration"] > 0


def test_metrics_show_running_and_queued_runs_per_device(app):
    first, second = (app.post("/api/runs", json=ENDLESS).json() for _ in range(2))
    try:
        wait_for(lambda: value(app, "lossboard_runs_active", device="cpu") == 1)
        assert value(app, "lossboard_queue_depth", device="cpu") == 1
    finally:
        for run in (second, first):
            app.post(f"/api/runs/{run['id']}/cancel")
    wait_for(lambda: value(app, "lossboard_runs_active", device="cpu") == 0)
    assert value(app, "lossboard_queue_depth", device="cpu") == 0


def test_metrics_count_websocket_subscribers(app):
    with app.websocket_connect("/ws/runs"):
        wait_for(lambda: value(app, "lossboard_ws_subscribers") == 1)
    wait_for(lambda: value(app, "lossboard_ws_subscribers") == 0)


def test_metrics_count_playground_evals_by_outcome(app):
    ok = value(app, "lossboard_playground_evals_total", outcome="ok")
    error = value(app, "lossboard_playground_evals_total", outcome="error")
    assert app.post("/api/playground/eval", json={"code": "1 + 1"}).status_code == 200
    assert app.post("/api/playground/eval", json={"code": "1 / 0"}).status_code == 400
    assert value(app, "lossboard_playground_evals_total", outcome="ok") == ok + 1
    assert value(app, "lossboard_playground_evals_total", outcome="error") == error + 1


def test_metrics_labels_hold_no_run_id_name_or_loss(app):
    run = finished_run(app, name="labelled-run-7")
    labels = {label for _, labels in samples(app) for label in labels}
    assert {name for name, _ in labels} <= LABELS
    assert not {v for _, v in labels} & {str(run["id"]), run["name"], str(run["last_loss"])}


def test_metrics_registries_are_independent_per_app(app, tmp_path):
    with app_client(tmp_path) as other:
        finished_run(app)
        assert runs_ended(other, "completed") == 0
        assert value(other, "lossboard_iterations_total", variant="tensors") == 0


def test_metrics_need_the_token_when_one_is_set(token_client):
    assert token_client.get("/metrics").status_code == 401
    authorized = token_client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert authorized.status_code == 200


def test_metrics_count_checkpoints_and_give_the_last_ones_size_and_write_time(app):
    before = value(app, "lossboard_checkpoints_written_total")
    run = app.post("/api/runs", json=ENDLESS).json()
    wait_for(lambda: app.get(f"/api/runs/{run['id']}").json()["iteration"] > 10)
    app.post(f"/api/runs/{run['id']}/pause")  # a pause always checkpoints
    written = wait_for(lambda: app.get(f"/api/runs/{run['id']}").json()["checkpoint"])
    assert value(app, "lossboard_checkpoints_written_total") >= before + 1
    assert value(app, "lossboard_checkpoint_last_bytes") == written["bytes"] > 0
    assert value(app, "lossboard_checkpoint_last_write_seconds") == written["seconds"] > 0
    assert value(app, "lossboard_checkpoint_write_seconds_total") >= written["seconds"]
    app.post(f"/api/runs/{run['id']}/cancel")
    wait_status(app, run["id"])
