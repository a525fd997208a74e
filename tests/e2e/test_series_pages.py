"""A script's run in a real browser: a chart per series, grouped by the part of the name
before "/"; compare overlays a series picked from those the runs hold."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import expect, screenshot

pytestmark = pytest.mark.e2e


def logged_run(server, name: str, series: dict[str, list[tuple[int, float]]]) -> int:
    """A finished run of a script, with the series given as name: [(step, value), ...]."""
    run_id = server.api("POST", "/api/ingest/runs", json={"name": name}).json()["run"]["id"]
    body = {"seq": 0, "series": {key: {"step": [s for s, _ in points],
                                        "value": [v for _, v in points],
                                        "time": [s / 100 for s, _ in points]}
                                  for key, points in series.items()}}  # fmt: skip
    assert server.api("POST", f"/api/ingest/runs/{run_id}/points", json=body).status_code == 200
    server.api("POST", f"/api/ingest/runs/{run_id}/finish", json={"status": "completed"})
    return run_id


def curve(steps: range, scale: float) -> list[tuple[int, float]]:
    return [(s, scale / (s + 1)) for s in steps]


@pytest.fixture(scope="module")
def logged(server) -> list[int]:
    first = logged_run(server, "my mlp", {"loss": curve(range(50), 2.0),
                                          "lr": curve(range(50), 0.1),
                                          "val/acc": curve(range(0, 50, 10), 0.5),
                                          "val/loss": curve(range(0, 50, 10), 3.0)})  # fmt: skip
    wider = {"loss": curve(range(40), 1.5), "val/acc": curve(range(0, 40, 10), 0.7)}
    second = logged_run(server, "my mlp, wider", wider)
    return [first, second]


def test_scripts_run_page_draws_a_chart_per_series_grouped_by_prefix(page, server, logged):
    page.goto(f"{server.url}/runs/{logged[0]}")
    expect(page.locator("#chart")).to_have_attribute("data-points", "50")
    groups = page.locator(".series-group")
    expect(groups).to_have_count(2)
    expect(groups.locator("h2")).to_have_text(["Charts", "val"])
    val = page.locator('.series-group[data-group="val"] .series-chart')
    expect(val.locator("figcaption")).to_have_text(["val/acc", "val/loss"])
    expect(val.first.locator(".chart")).to_have_attribute("data-points", "5")
    lr = page.locator('.series-chart[data-series="lr"] .chart')
    expect(lr).to_have_attribute("data-points", "50")
    expect(page.locator("#rerun")).to_be_hidden()
    expect(page.locator(".muted", has_text="logged by a script")).to_be_visible()
    screenshot(page, "run-series")


def test_the_loss_charts_controls_drive_every_series_chart(page, server, logged):
    page.goto(f"{server.url}/runs/{logged[0]}")
    chart = page.locator('.series-chart[data-series="val/acc"] .chart')
    expect(chart).to_have_attribute("data-points", "5")
    page.locator("#chart-controls label", has_text="seconds").click()
    page.wait_for_url("**x=time**")
    expect(chart).to_have_attribute("data-x-max", "0.4")  # its last step, 40, at 0.4 s


def test_compare_overlays_the_series_picked(page, server, logged):
    page.goto(f"{server.url}/compare?ids={logged[0]},{logged[1]}")
    expect(page.locator("#chart")).to_have_attribute("data-points", "90")  # both losses
    page.locator("#series-pick").select_option("val/acc")
    page.wait_for_url("**series=val%2Facc**")
    expect(page.locator("#chart")).to_have_attribute("data-series", "2")
    expect(page.locator("#chart")).to_have_attribute("data-points", "9")  # 5 and 4 points
    screenshot(page, "compare-series")


def test_a_job_run_without_system_samples_has_no_series_charts(page, server):
    # a job run's only other series are the system sampler's (tests/e2e/test_system_pages.py)
    page.goto(f"{server.url}/runs/{server.big_run_id}")
    expect(page.locator(".source-card")).to_be_visible()
    expect(page.locator("#chart")).not_to_have_attribute("data-points", "0")
    expect(page.locator(".series-group")).to_have_count(0)


DECIMATE_JS = """async () => {
  const { decimate } = await import("/static/js/lossseries.js");
  // a V with its lowest point (100, at 405) in the bucket of a gap (400 ... 403)
  const values = Array.from({ length: 1000 }, (_, i) =>
    i >= 400 && i < 404 ? null : 100 + Math.abs(i - 405));
  return decimate(values, 50).map((i) => values[i]);
}"""


def test_the_charts_own_thinning_keeps_gaps_and_the_extremes(tab):
    kept = tab.evaluate(DECIMATE_JS)
    assert None in kept and min(v for v in kept if v is not None) == 100  # a gap is no minimum
