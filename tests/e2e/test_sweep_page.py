"""A sweep's page in a real browser against a real server: its curves, outcome plot and table
fill in live, a diverging learning rate is marked, and the sweep can be cancelled from it."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import expect, screenshot
from tests.helpers import TINY

pytestmark = pytest.mark.e2e
RATES = [1e-5, 1e-4, 1e-3, 1e-2]  # with TINY sizes, numpy's loop diverges at 1e-2 within 10 steps


def start_sweep(server, iterations: int, **spec) -> dict:
    body = {
        "variant": "numpy", "params": {"learning_rate": {"values": RATES}}, "seeds": 3,
        "base": {"iterations": iterations, "seed": 11, **TINY}, **spec,
    }  # fmt: skip
    response = server.api("POST", "/api/sweeps", json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module")
def live_page(browser, server):
    """The page of a 12-run sweep, opened as soon as the sweep starts, then its finish."""
    sweep = start_sweep(server, 3000, name="lr sweep")
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    first = page.goto(f"{server.url}/sweeps/{sweep['id']}")
    assert first is not None
    rendered = first.text()
    expect(page.locator("#page")).to_have_attribute("data-status", "completed", timeout=90_000)
    yield page, sweep, rendered, errors
    context.close()


def test_sweep_page_opened_while_running(live_page):
    _, _, rendered, _ = live_page
    assert 'data-page="sweep" data-status="running"' in rendered


def test_sweep_page_draws_every_curve_and_marks_divergence(live_page):
    page, _, _, errors = live_page
    curves = page.locator("#curves")
    expect(curves).to_have_attribute("data-series", "12")
    expect(curves).to_have_attribute("data-marks", "3")  # the three seeds of 1e-2
    expect(page.locator("#color-key")).to_contain_text("colour follows learning_rate, log scale")
    screenshot(page, "sweep-page-1400")
    assert errors == []


def test_sweep_outcome_plot_draws_points_and_diverged(live_page):
    page, _, _, _ = live_page
    plot = page.locator('.outcome-chart[data-field="learning_rate"]')
    expect(plot).to_have_attribute("data-points", "3")
    expect(plot).to_have_attribute("data-diverged", "3")
    expect(plot).to_have_attribute("data-x-distr", "3")  # log x: the rates span decades


def test_sweep_table_has_a_row_per_point_and_marks_the_best(live_page, server):
    page, sweep, _, _ = live_page
    rows = page.locator("#points tr.point-row")
    expect(rows).to_have_count(4)
    diverged = rows.filter(has_text="3 diverged")
    expect(diverged).to_have_count(1)
    expect(diverged.locator("td").first).to_have_text("0.01")
    best = server.get(f"/api/sweeps/{sweep['id']}").json()["best"]
    marked = page.locator("#points tr[data-best]")
    expect(marked.locator(f'a[href="/runs/{best["run_id"]}"]')).to_have_count(1)


def test_sweep_table_sorts_by_a_column(live_page):
    page, _, _, _ = live_page
    first_cell = page.locator("#points tr.point-row td.param").first
    page.locator("#points button.sort", has_text="learning_rate").click()
    expect(first_cell).to_have_text("1e-5")
    page.locator("#points button.sort", has_text="learning_rate").click()
    expect(first_cell).to_have_text("0.01")


def test_sweep_compare_best_links_their_seed_groups(live_page):
    page, _, _, _ = live_page
    page.fill("#best-k", "2")
    link = page.locator("#compare-best")
    expect(link).to_have_text("Compare the best 2")
    href = link.get_attribute("href") or ""
    assert href.endswith("&group=config")
    assert len(href.split("ids=")[1].split("&")[0].split(",")) == 6  # 2 points x 3 seeds


def test_sweep_page_fits_a_phone(live_page, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    phone = context.new_page()
    phone.goto(live_page[0].url)
    expect(phone.locator("#page")).to_have_attribute("data-drawn-at", re.compile(r"^\d+$"))
    expect(phone.locator("#curves")).to_have_attribute("data-series", "12")
    width = phone.evaluate("document.documentElement.scrollWidth")
    screenshot(phone, "sweep-page-390")
    context.close()
    assert width <= 390


def test_sweep_cancel_button_cancels_it(page, server):
    sweep = start_sweep(server, 200_000, max_parallel=1)
    page.goto(f"{server.url}/sweeps/{sweep['id']}")
    page.click("#cancel-sweep")
    page.click("#confirm-cancel")  # it asks first
    expect(page.locator("#page")).to_have_attribute("data-status", "cancelled")
    expect(page.locator("#cancel-sweep")).to_be_hidden()
    counts = server.get(f"/api/sweeps/{sweep['id']}").json()["counts"]
    assert counts["queued"] == counts["running"] == 0


def test_sweep_page_of_unknown_sweep_is_404(server):
    assert server.get("/sweeps/999999").status_code == 404
