"""The compare view's seed groups in a real browser: three seeds of one config as one band."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import expect, screenshot
from tests.helpers import TINY

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def seed_runs(server) -> list[int]:
    """Three seeds of one config and one run of another, all finished."""
    bodies = [{"learning_rate": 1e-4, "seed": seed} for seed in (1, 2, 3)]
    bodies.append({"learning_rate": 1e-5, "seed": 1})
    ids = []
    for body in bodies:
        run = {"variant": "tensors", "iterations": 200, **TINY, **body}
        ids.append(server.api("POST", "/api/runs", json=run).json()["id"])
    return ids


def open_compare(page, server, ids: list[int], query: str = "") -> None:
    page.goto(f"{server.url}/compare?ids={','.join(map(str, ids))}{query}")


def test_compare_group_by_config_draws_three_seeds_as_one_band(page, server, seed_runs):
    open_compare(page, server, seed_runs, "&group=config")
    chart = page.locator("#chart")
    expect(chart).to_have_attribute("data-points", "800", timeout=60_000)
    expect(chart).to_have_attribute("data-series", "2")
    expect(chart).to_have_attribute("data-bands", "1")
    legend = page.locator(".u-legend .u-series:not(.band-edge) th")
    expect(legend.nth(1)).to_contain_text("learning_rate=0.0001 ×3")
    screenshot(page, "compare-grouped")


def test_compare_group_choice_survives_a_reload(page, server, seed_runs):
    open_compare(page, server, seed_runs)
    expect(page.locator("#chart")).to_have_attribute("data-series", "4", timeout=60_000)
    page.locator("#group-controls label", has_text="group by config").click()
    page.wait_for_url("**group=config**")
    page.locator("#group-controls label", has_text="std").click()
    page.wait_for_url("**band=std**")
    page.reload()
    expect(page.locator('input[name="band"][value="std"]')).to_be_checked()
    expect(page.locator("#chart")).to_have_attribute("data-bands", "1", timeout=60_000)


def test_compare_export_links_name_the_runs(page, server, seed_runs):
    open_compare(page, server, seed_runs)
    ids = ",".join(map(str, seed_runs))
    expect(page.locator("#export-csv")).to_have_attribute(
        "href", f"/api/runs/export?ids={ids}&format=csv"
    )
    expect(page.locator("#export-tb")).to_have_attribute(
        "href", f"/api/runs/export?ids={ids}&format=tensorboard"
    )
