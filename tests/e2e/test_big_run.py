"""A million-step run's page: how long it takes to draw, and what each live update costs.

The figures are printed, not asserted tightly: they depend on the machine. The asserts check
what keeps the page responsive whatever the machine: a bounded number of chart points and
DOM nodes.
"""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import BIG_RUN_STEPS, screenshot

pytestmark = pytest.mark.e2e
FRAME_LATENCY_JS = """async () => {
  const t0 = performance.now();
  await new Promise((resolve) => requestAnimationFrame(resolve));
  return performance.now() - t0;
}"""
LOSSES_FETCH_JS = """() => performance.getEntriesByType("resource")
  .filter((e) => e.name.includes("/losses")).map((e) => e.duration)[0] ?? null"""


def test_million_step_run_page_draws_fast_and_stays_bounded(page, server, capsys):
    started = time.perf_counter()
    page.goto(f"{server.url}/runs/{server.big_run_id}")
    chart = page.locator("#chart")
    chart.and_(page.locator("[data-first-draw-ms]")).wait_for()
    wall_ms = (time.perf_counter() - started) * 1000
    first_draw_ms = float(chart.get_attribute("data-first-draw-ms"))
    points = int(chart.get_attribute("data-points"))
    nodes = page.evaluate("document.getElementsByTagName('*').length")
    fetch_ms = page.evaluate(LOSSES_FETCH_JS)
    frame_ms = max(page.evaluate(FRAME_LATENCY_JS) for _ in range(5))

    count = page.locator('#run-numbers [data-field="count"]')
    assert count.text_content() == "1M / 1M"
    assert 1000 <= points <= 2000  # the decimated history, not a million points
    assert nodes < 1500  # no DOM node per point
    assert frame_ms < 1000  # the page still paints
    screenshot(page, "run-page-1m-steps")
    with capsys.disabled():
        print(
            f"\n[1M-step run page] navigation -> chart drawn: {first_draw_ms:.0f} ms "
            f"(page clock; {wall_ms:.0f} ms seen from the test), losses?max_points=2000 fetch "
            f"{fetch_ms:.0f} ms, {points} points drawn for {BIG_RUN_STEPS:,} steps, "
            f"{nodes} DOM nodes, worst frame latency after {frame_ms:.1f} ms"
        )


def test_live_updates_cost_per_frame(page, server, capsys):
    tiny = {"N": 8, "D_in": 16, "H": 16, "D_out": 1}
    run = server.api(
        "POST", "/api/runs", json={"variant": "tensors", "iterations": BIG_RUN_STEPS, **tiny}
    ).json()
    page.goto(f"{server.url}/runs/{run['id']}")
    chart = page.locator("#chart")
    chart.and_(page.locator("[data-first-draw-ms]")).wait_for()
    page.wait_for_timeout(4000)
    stats = {
        key: chart.get_attribute(f"data-{key}")
        for key in ("updates", "mean-update-ms", "max-update-ms", "points")
    }
    frame_ms = max(page.evaluate(FRAME_LATENCY_JS) for _ in range(5))
    shown = page.locator('#run-numbers [data-field="bar"]').evaluate("bar => bar.value")
    iteration = server.api("GET", f"/api/runs/{run['id']}").json()["iteration"]
    screenshot(page, "run-page-live")
    server.api("POST", f"/api/runs/{run['id']}/cancel")

    assert int(stats["updates"]) >= 10
    assert int(stats["points"]) <= 8000  # bounded, however many steps arrive
    assert shown > iteration / 2  # the numbers follow the points, not only status changes
    with capsys.disabled():
        print(
            f"\n[live run] {stats['updates']} chart updates in ~4 s while it reached step "
            f"{iteration:,}: mean {stats['mean-update-ms']} ms, max {stats['max-update-ms']} ms "
            f"per update (data + uPlot redraw); {stats['points']} points held; "
            f"worst frame latency {frame_ms:.1f} ms"
        )
