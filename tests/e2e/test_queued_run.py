"""A queued run's page: an empty chart with its axes, its place in the queue, and the chart
filling in once the run starts."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import expect
from tests.helpers import TINY

pytestmark = pytest.mark.e2e
LONG = {"variant": "tensors", "iterations": 10_000_000, **TINY}  # holds the one cpu worker
SHORT = {"variant": "tensors", "iterations": 2_000, **TINY}


def start(server, body: dict) -> int:
    response = server.api("POST", "/api/runs", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_queued_run_page_shows_its_place_then_starts(page, server):
    first, second = start(server, LONG), start(server, LONG)
    third = start(server, SHORT)
    page.goto(f"{server.url}/runs/{third}")
    waiting = page.locator("#run-waiting")

    expect(waiting).to_have_text("waiting: 1 run ahead on cpu")
    expect(page.locator("#chart canvas")).to_be_attached()  # a chart, not an empty box
    expect(page.locator("#chart .u-axis")).to_have_count(2)

    server.api("POST", f"/api/runs/{first}/cancel")
    expect(waiting).to_have_text("waiting: next on cpu")
    server.api("POST", f"/api/runs/{second}/cancel")
    expect(waiting).to_be_hidden()
    expect(page.locator("#chart")).to_have_attribute("data-points", re.compile(r"^[1-9]"))


def test_finished_run_page_shows_no_waiting_line(page, server, site):
    page.goto(server.url + site["run"])
    expect(page.locator("#chart")).to_have_attribute("data-points", re.compile(r"^[1-9]"))
    expect(page.locator("#run-waiting")).to_be_hidden()
