"""A search sweep's page in Chromium: parallel coordinates that draw every point and filter
the table when brushed, the optimisation history and importance, the view kept in the URL
across a reload, and a cancel that asks first."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import expect, screenshot

pytestmark = pytest.mark.e2e
SMALL = {"N": 8, "D_in": 16, "D_out": 1}
SEARCH = {
    "variant": "nn", "method": "tpe", "pruner": "median", "count": 8, "max_parallel": 2,
    "params": {"learning_rate": {"log_uniform": [1e-7, 1e-4]}, "H": {"int_uniform": [4, 32]}},
    "base": {"iterations": 200, "seed": 4, **SMALL},
}  # fmt: skip


@pytest.fixture(scope="module")
def searched(browser, server):
    """The page of a finished 8-point TPE search."""
    response = server.api("POST", "/api/sweeps", json=SEARCH)
    assert response.status_code == 201, response.text
    sweep = response.json()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.url}/sweeps/{sweep['id']}")
    expect(page.locator("#page")).to_have_attribute("data-status", "completed", timeout=90_000)
    yield page, sweep, errors
    context.close()


def test_parallel_coordinates_draw_every_point_with_its_axes(searched):
    page, _, errors = searched
    plot = page.locator("#parcoords")
    expect(plot).to_have_attribute("data-lines", "8")
    axes = (plot.get_attribute("data-axes") or "").split(",")
    assert sorted(axes[:2]) == ["H", "learning_rate"] and axes[2] == "score (final)"
    expect(page.locator("#points tr.point-row")).to_have_count(8)
    screenshot(page, "sweep-search-1400")
    assert errors == []


def test_history_and_importance_draw(searched):
    page, _, _ = searched
    expect(page.locator("#study-card")).to_be_visible()
    expect(page.locator("#history")).to_have_attribute("data-points", "8")
    expect(page.locator("#importance")).to_have_attribute("data-bars", "2")
    expect(page.locator('#importance [data-param="learning_rate"]')).to_have_count(1)


def test_brushing_the_score_axis_filters_the_table_and_survives_a_reload(searched):
    page, _, _ = searched
    plot = page.locator("#parcoords canvas")
    plot.scroll_into_view_if_needed()
    box = plot.bounding_box()
    assert box is not None
    x = box["x"] + box["width"] - 56  # the score axis, rightmost
    bottom = box["y"] + box["height"] - 32  # the axis's foot: the lowest score
    page.mouse.move(x, bottom + 4)
    page.mouse.down()
    page.mouse.move(x, bottom - 12, steps=4)  # the lowest few percent of the scores' range
    page.mouse.up()
    kept = int(page.locator("#parcoords").get_attribute("data-kept") or "0")
    assert 0 < kept < 8
    expect(page.locator("#points tr.point-row")).to_have_count(kept)
    page.select_option("#color-by", "H")
    page.click('label:has(input[name="curves"][value="points"])')
    assert "brush=score" in page.url and "colorBy=H" in page.url
    page.reload()
    expect(page.locator("#parcoords")).to_have_attribute("data-kept", str(kept))
    expect(page.locator("#points tr.point-row")).to_have_count(kept)
    expect(page.locator("#color-by")).to_have_value("H")
    expect(page.locator('input[name="curves"][value="points"]')).to_be_checked()
    page.click("#clear-brush")
    expect(page.locator("#points tr.point-row")).to_have_count(8)
    assert "brush=" not in page.url


def test_cancel_sweep_asks_first(page, server):
    body = {**SEARCH, "pruner": "none", "base": {**SEARCH["base"], "iterations": 10_000_000}}
    sweep = server.api("POST", "/api/sweeps", json=body).json()
    page.goto(f"{server.url}/sweeps/{sweep['id']}")
    page.click("#cancel-sweep")
    expect(page.locator("#cancel-dialog")).to_be_visible()
    page.click('#cancel-dialog button[value="keep"]')
    assert server.get(f"/api/sweeps/{sweep['id']}").json()["status"] == "running"
    page.click("#cancel-sweep")
    page.click("#confirm-cancel")
    expect(page.locator("#page")).to_have_attribute("data-status", "cancelled")
