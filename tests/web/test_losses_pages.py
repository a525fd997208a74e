"""/losses in pages: `limit` points at most, and `next_after` to go on from."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.helpers import TINY, app_client, wait_for
from tests.web.stored import store_run

STEPS = 2_500


@pytest.fixture(scope="module")
def run_id(shared_client) -> int:
    return store_run(shared_client.app.state.manager.store, STEPS, batch=700)


def pages(shared_client, run_id: int, **params) -> list[dict]:
    """Every page of a run's losses, following next_after until it is null."""
    out, after = [], -1
    while after is not None:
        page = shared_client.get(
            f"/api/runs/{run_id}/losses", params={**params, "after": after}
        ).json()
        out.append(page)
        after = page["next_after"]
    return out


def test_losses_limit_cuts_a_page_and_says_where_to_go_on(shared_client, run_id):
    page = shared_client.get(f"/api/runs/{run_id}/losses", params={"limit": 1000}).json()
    assert page["step"] == list(range(1000)) and page["next_after"] == 999
    assert page["loss"] == [s + 0.5 for s in range(1000)]


def test_losses_pages_hold_every_step_once(shared_client, run_id):
    found = pages(shared_client, run_id, limit=1000)
    assert [len(p["step"]) for p in found] == [1000, 1000, 500]
    assert [s for p in found for s in p["step"]] == list(range(STEPS))


def test_losses_page_that_ends_the_run_has_no_next(shared_client, run_id):
    page = shared_client.get(f"/api/runs/{run_id}/losses", params={"limit": STEPS}).json()
    assert len(page["step"]) == STEPS and page["next_after"] is None


def test_losses_default_limit_is_a_million(shared_client, run_id):
    page = shared_client.get(f"/api/runs/{run_id}/losses").json()
    assert len(page["step"]) == STEPS and page["next_after"] is None


@pytest.mark.parametrize("limit", [0, 1_000_001])
def test_losses_limit_out_of_range_is_422(shared_client, run_id, limit):
    response = shared_client.get(f"/api/runs/{run_id}/losses", params={"limit": limit})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "limit"


def test_losses_max_points_thins_each_page(shared_client, run_id):
    found = pages(shared_client, run_id, limit=1000, max_points=100)
    assert all(p["decimated"] and len(p["step"]) <= 100 for p in found)
    assert [p["step"][0] for p in found] == [0, 1000, 2000]
    assert found[-1]["step"][-1] == STEPS - 1


def test_losses_page_of_a_live_run_stops_at_limit(tmp_path):
    with app_client(tmp_path) as shared_client:
        body = {"variant": "tensors", "iterations": 1_000_000, **TINY}
        run_id = shared_client.post("/api/runs", json=body).json()["id"]
        wait_for(lambda: shared_client.get(f"/api/runs/{run_id}").json()["iteration"] > 100)
        page = shared_client.get(f"/api/runs/{run_id}/losses", params={"limit": 20}).json()
        shared_client.post(f"/api/runs/{run_id}/cancel")
    assert page["step"] == list(range(20)) and page["next_after"] == 19


def test_export_csv_streams_every_row(shared_client, run_id):
    response = shared_client.get(f"/api/runs/{run_id}/export", params={"format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [int(r["step"]) for r in rows] == list(range(STEPS))
    assert [float(r["loss"]) for r in rows] == [s + 0.5 for s in range(STEPS)]


def test_export_json_streams_the_run_and_every_row(shared_client, run_id):
    response = shared_client.get(f"/api/runs/{run_id}/export", params={"format": "json"})
    body = json.loads(response.text)
    assert body["run"]["id"] == run_id and body["run"]["status"] == "completed"
    assert [r["step"] for r in body["rows"]] == list(range(STEPS))
    assert body["rows"][-1] == {"step": STEPS - 1, "loss": STEPS - 0.5, "time": (STEPS - 1) / 1000}


def test_export_json_of_a_run_without_losses_has_no_rows(shared_client):
    empty = store_run(shared_client.app.state.manager.store, 0)
    body = shared_client.get(f"/api/runs/{empty}/export", params={"format": "json"}).json()
    assert body["rows"] == [] and body["run"]["id"] == empty
