"""The run page's Numbers panel in a real browser: each label on one line, at desktop width and
on a phone."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import expect
from tests.helpers import wait_for

pytestmark = pytest.mark.e2e
# how many lines each label of the Numbers panel takes
LABEL_LINES_JS = """() => [...document.querySelectorAll("#run-numbers dt")].map((dt) => {
  const range = document.createRange();
  range.selectNodeContents(dt);
  return [dt.textContent, new Set([...range.getClientRects()].map((r) => r.top)).size];
})"""


@pytest.fixture(scope="module")
def fit_run(server) -> int:
    """A finished polynomial fit: its page has the fit card beside the loss chart."""
    body = {"variant": "poly_tensors", "iterations": 50, "points": 100}
    run_id = server.api("POST", "/api/runs", json=body).json()["id"]
    wait_for(lambda: server.get(f"/api/runs/{run_id}").json()["status"] == "completed")
    return run_id


@pytest.mark.parametrize(("width", "height"), [(1400, 900), (390, 844)])
@pytest.mark.parametrize("kind", ["network", "fit"])
def test_numbers_labels_keep_to_one_line(browser, server, site, fit_run, kind, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(server.url + (site["run"] if kind == "network" else f"/runs/{fit_run}"))
    expect(page.locator("#run-numbers")).to_be_visible()
    # the widest count the panel shows (fmtCount compacts from 100,000 on)
    count = page.locator('#run-numbers [data-field="count"]')
    count.evaluate("(e) => { e.textContent = '99,999 / 99,999'; }")
    lines = dict(page.evaluate(LABEL_LINES_JS))
    context.close()
    assert "Best loss" in lines and set(lines.values()) == {1}, lines
