"""Long runs in the browser: a million stored steps, and a long run streamed live.

What a user relies on, whatever the machine: the chart holds a bounded number of points
however long the run, every streamed step reaches the page, and the page stays responsive.
Its first chart must be drawn within a second of navigation; how fast it streams is measured
by bench/page.py.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import expect, screenshot
from tests.helpers import TINY

pytestmark = pytest.mark.e2e
LIVE_STEPS = 50_000  # several times what a chart holds, so it has to thin them as they come
RESPONSIVE_MS = 1000  # a page whose main thread is blocked misses frames for far longer
FIRST_CHART_MS = 1000  # from navigation start to the first drawn chart of a million steps
# When the chart first holds points, in ms since the navigation started.
FIRST_CHART_JS = """
new MutationObserver((changes, observer) => {
  const chart = document.getElementById("chart");
  if (!chart || !(Number(chart.dataset.points) > 0) || !chart.querySelector("canvas")) return;
  window.firstChartMs = performance.now();
  observer.disconnect();
}).observe(document, { subtree: true, childList: true, attributes: true });
"""
FRAME_LATENCY_JS = """async () => {
  const t0 = performance.now();
  await new Promise((resolve) => requestAnimationFrame(resolve));
  return performance.now() - t0;
}"""
# Tallies the "points" messages the page's websockets receive: where they start, and any gap.
STREAM_TALLY_JS = """
window.streamTally = { first: null, next: null, gaps: 0 };
window.WebSocket = class extends window.WebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type !== "points") return;
      const tally = window.streamTally;
      if (tally.first === null) tally.first = message.start;
      else if (message.start !== tally.next) tally.gaps += 1;
      tally.next = message.start + message.loss.length;
    });
  }
};
"""


def worst_frame_ms(page) -> float:
    return max(page.evaluate(FRAME_LATENCY_JS) for _ in range(5))


def test_million_step_run_page_draws_a_bounded_chart(page, server):
    # measured on a server that has served the page once: a fresh one first compiles its
    # templates and fills SQLite's cache, which no later visitor waits for
    server.get(f"/runs/{server.big_run_id}")
    server.get(f"/api/runs/{server.big_run_id}/losses?max_points=2000&after=-1")
    page.add_init_script(FIRST_CHART_JS)
    page.goto(f"{server.url}/runs/{server.big_run_id}")
    chart = page.locator("#chart")
    expect(chart).to_have_attribute("data-points", re.compile(r"^[1-9]"))
    expect(page.locator('#run-numbers [data-field="count"]')).to_have_text("1M / 1M")

    assert 1000 <= int(chart.get_attribute("data-points")) <= 2000  # decimated history
    assert page.evaluate("document.getElementsByTagName('*').length") < 1500  # no node per point
    assert worst_frame_ms(page) < RESPONSIVE_MS
    first_chart_ms = page.evaluate("window.firstChartMs")
    print(f"first chart of a million steps: {first_chart_ms:.0f} ms after navigation")
    assert first_chart_ms < FIRST_CHART_MS
    screenshot(page, "run-page-1m-steps")


def test_live_run_streams_every_step_into_a_bounded_chart(page, server):
    page.add_init_script(STREAM_TALLY_JS)
    body = {"variant": "tensors", "iterations": LIVE_STEPS, **TINY}
    run_id = server.api("POST", "/api/runs", json=body).json()["id"]
    with page.expect_response(re.compile(r"/losses\?")) as history:
        page.goto(f"{server.url}/runs/{run_id}")
    chart = page.locator("#chart")
    status = page.locator('#run-numbers [data-field="status"]')

    expect(status).to_have_text("running")
    page.locator("#chart-controls label", has_text="linear").click()  # usable while it streams
    expect(chart).to_have_attribute("data-y-distr", "1")
    assert worst_frame_ms(page) < RESPONSIVE_MS
    screenshot(page, "run-page-live")
    expect(status).to_have_text("completed", timeout=120_000)

    tally = page.evaluate("window.streamTally")
    steps = history.value.json()["step"]
    assert tally == {"first": steps[-1] + 1 if steps else 0, "next": LIVE_STEPS, "gaps": 0}
    expect(chart).to_have_attribute("data-x-max", str(LIVE_STEPS - 1))  # the last step drawn
    assert int(chart.get_attribute("data-points")) <= 8000  # thinned as the points came
    expect(page.locator('#run-numbers [data-field="count"]')).to_have_text("50,000 / 50,000")
