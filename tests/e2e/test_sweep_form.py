"""The dashboard's form as a sweep in a real browser: list and range syntax, the preview, and
a sweep started from it; the dashboard lists recent sweeps."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import expect, open_dashboard
from tests.helpers import TINY

pytestmark = pytest.mark.e2e


def fill_tiny(page, iterations: str = "50") -> None:
    page.select_option("#f-variant", "optim")
    page.fill("#f-iterations", iterations)
    for name, value in TINY.items():
        page.fill(f"#f-{name}", str(value))


def test_form_list_previews_runs(page, server):
    open_dashboard(page, server.url)
    fill_tiny(page)
    expect(page.locator("#sweep-preview")).to_be_hidden()
    page.fill("#f-learning_rate", "1e-6, 1e-5, 1e-4")
    page.select_option("#f-optimizer", "sgd,adam")
    page.fill("#f-seeds", "3")
    expected = "3 learning_rate values × 2 optimizers × 3 seeds = 18 runs"
    expect(page.locator("#sweep-preview")).to_have_text(expected)
    expect(page.locator("#start-run")).to_have_text("Start sweep")


def test_form_range_with_count_previews_log_spaced_values(page, server):
    open_dashboard(page, server.url)
    page.fill("#f-H", "8..64 x4")
    expect(page.locator("#sweep-preview")).to_have_text("4 H values = 4 runs")


def test_form_list_starts_a_sweep_and_opens_its_page(page, server):
    open_dashboard(page, server.url)
    fill_tiny(page)
    page.fill("#f-learning_rate", "1e-4, 1e-3")
    page.fill("#f-seeds", "2")
    with page.expect_navigation(url=re.compile(r"/sweeps/\d+")):
        page.click("#start-run")
    sweep_id = int(urlsplit(page.url).path.rsplit("/", 1)[1])  # its view follows in the query
    sweep = server.get(f"/api/sweeps/{sweep_id}").json()
    assert sweep["spec"]["params"] == {"learning_rate": {"values": [1e-4, 1e-3]}}
    assert sweep["spec"]["seeds"] == 2 and len(sweep["run_ids"]) == 4
    expect(page.locator("#curves")).to_have_attribute("data-series", "4")
    expect(page.locator("#page")).to_have_attribute("data-status", "completed", timeout=60_000)
    open_dashboard(page, server.url)
    listed = page.locator(f'#sweeps tr.sweep-row[data-id="{sweep["id"]}"]')
    expect(listed.locator('[data-field="status"]')).to_have_text("completed")
    expect(listed.locator(".counts")).to_have_text(re.compile(r"4 completed"))


def test_form_bad_list_value_is_named_by_its_field(page, server):
    open_dashboard(page, server.url)
    fill_tiny(page)
    page.fill("#f-learning_rate", "1e-4, fast")
    page.click("#start-run")
    expect(page.locator("#e-learning_rate")).not_to_be_empty()
    expect(page.locator("#f-learning_rate")).to_have_attribute("aria-invalid", "true")


def test_form_repeated_value_is_named_beside_its_field(page, server):
    open_dashboard(page, server.url)
    fill_tiny(page)
    page.fill("#f-learning_rate", "1e-4, 1e-3, 1e-4")
    page.click("#start-run")
    expect(page.locator("#e-learning_rate")).to_contain_text("0.0001 is given twice")
    expect(page.locator('#run-form [data-error-for="_form"]')).to_be_empty()


def test_form_preview_says_when_a_sweep_is_over_the_cap(page, server):
    open_dashboard(page, server.url)
    page.fill("#f-learning_rate", "1e-6..1e-2 x2000")
    expected = "2,000 learning_rate values = 2,000 runs: over this server's cap of 500 a sweep"
    expect(page.locator("#sweep-preview")).to_have_text(expected)
