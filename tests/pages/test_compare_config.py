"""The compare page's config table, in-process: every field, marked same or different."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from server.web.routes.pages import config_rows
from tests.helpers import TINY, wait_finished

QUICK = {**TINY, "iterations": 3}


def start(client: TestClient, **fields) -> int:
    response = client.post("/api/runs", json={"variant": "tensors", **QUICK, **fields})
    assert response.status_code == 201
    return wait_finished(client.app.state.manager, response.json()["id"])["id"]


def row_marks(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-field-name="([^"]+)" data-same="(true|false)"', html))


def test_config_rows_mark_the_fields_that_differ():
    runs = [
        {"variant": "numpy", "config": {"learning_rate": 1e-6, "seed": 1}},
        {"variant": "numpy", "config": {"learning_rate": 1e-4, "seed": 1, "optimizer": "adam"}},
    ]
    rows = {row["field"]: row for row in config_rows(runs)}
    assert list(rows) == ["variant", "learning_rate", "seed", "optimizer"]
    assert [rows[f]["same"] for f in rows] == [True, False, True, False]
    assert rows["optimizer"]["values"] == [None, "adam"]


def test_compare_page_lists_every_config_field(client):
    first = start(client, learning_rate=1e-6, seed=1)
    second = start(client, learning_rate=1e-4, seed=1)
    marks = row_marks(client.get(f"/compare?ids={first},{second}").text)
    assert marks["learning_rate"] == "false"
    assert marks["seed"] == marks["variant"] == marks["iterations"] == "true"


def test_compare_page_of_one_run_twice_is_titled_for_one_run(client):
    run_id = start(client)
    html = client.get(f"/compare?ids={run_id},{run_id}").text
    assert "<title>Compare 1 run · lossboard</title>" in html
