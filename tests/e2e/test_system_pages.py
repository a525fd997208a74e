"""System metrics in a real browser: a job run's collapsed System group of charts, drawn and
fed live, its peak memory in Numbers, and the dashboard's Devices card with its sparkline."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.e2e.conftest import expect, screenshot
from tests.helpers import TINY, ServerProcess, wait_for

pytestmark = pytest.mark.e2e
LONG_RUN = {"variant": "tensors", "iterations": 10_000_000, **TINY}


@pytest.fixture(scope="module")
def sampled(tmp_path_factory):
    """A server sampling every half second (the default 2 s would only make these slower)."""
    env = {"LOSSBOARD_SYSTEM_EVERY_S": "0.5", "OMP_NUM_THREADS": "1"}
    with ServerProcess(tmp_path_factory.mktemp("data"), env=env) as server:
        yield server


@pytest.fixture
def training(sampled):
    """A run training until the test ends, with a few samples already stored."""
    run = httpx.post(f"{sampled.url}/api/runs", json=LONG_RUN).json()
    points = f"/api/runs/{run['id']}/series/system/rss_bytes"
    wait_for(lambda: sampled.get(points).status_code == 200 and sampled.get(points).json()["step"])
    yield run
    httpx.post(f"{sampled.url}/api/runs/{run['id']}/cancel")


def test_a_job_runs_page_draws_its_system_group_collapsed_and_live(page, sampled, training):
    page.goto(f"{sampled.url}/runs/{training['id']}")
    group = page.locator('details.series-group[data-group="system"]')
    expect(group.locator("summary h2")).to_have_text("System")
    expect(group).not_to_have_attribute("open", "")
    rss = group.locator('.series-chart[data-series="system/rss_bytes"]')
    expect(rss).to_be_hidden()  # collapsed until opened
    group.locator("summary").click()
    expect(rss).to_be_visible()
    expect(group.locator(".series-chart figcaption")).to_contain_text(
        ["system/cpu_percent", "system/machine_cpu_percent", "system/rss_bytes"]
    )
    shown = int(rss.locator(".chart").get_attribute("data-points"))
    assert shown >= 1 and rss.locator("canvas").count() == 1
    # the run's socket brings each new sample to the chart
    expect(rss.locator(".chart")).not_to_have_attribute("data-points", str(shown), timeout=10_000)
    expect(page.locator('[data-field="peak-memory"]')).to_contain_text("RSS")
    screenshot(page, "run-system")


def test_the_dashboards_devices_card_shows_the_cpu_now_and_its_last_minutes(page, sampled):
    page.goto(sampled.url)
    cpu = page.locator('#devices [data-device="cpu"]')
    expect(cpu.locator('[data-field="utilization"]')).to_have_text(re.compile(r"^\d+%$"))
    expect(cpu.locator('[data-field="memory"]')).to_have_text(re.compile(r" / .*GiB$"))
    expect(cpu.locator("polyline")).to_have_attribute("points", re.compile(r"\d"))
    shown = int(cpu.get_attribute("data-samples"))
    # updated at each sample: the sparkline grows
    expect(cpu).not_to_have_attribute("data-samples", str(shown), timeout=10_000)
    screenshot(page, "dashboard-devices")
