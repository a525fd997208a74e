"""The loss charts in a real browser: tiny losses on a log axis, the view kept in the URL,
a run's colour, the tooltip, the best-so-far marker and "ignore outliers"."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.e2e.chartruns import chart_server, falling
from tests.e2e.conftest import expect, screenshot

pytestmark = pytest.mark.e2e
STEPS = 300
TINY, TWIN_A, TWIN_B, HIGH, SPIKY = range(5)  # the seeded runs, in order
# the rgb() a colour string computes to, as the page sees it
RGB_JS = """(color) => { const e = document.createElement("i"); e.style.color = color;
  document.body.append(e); const rgb = getComputedStyle(e).color; e.remove(); return rgb; }"""
RUN_COLOR_JS = """async (id) => (await import("/static/js/colors.js")).runColor(id)"""


def tiny_losses() -> np.ndarray:
    loss = falling(STEPS, 1.0, 1e-300)
    loss[-3:] = 0.0  # a log axis cannot draw these
    return loss


def spiky_losses() -> np.ndarray:
    loss = falling(STEPS, 10.0, 0.1)
    loss[120] = 1e6  # one point in 300: outside the central 99%
    return loss


@pytest.fixture(scope="module")
def charts(tmp_path_factory):
    twin = falling(STEPS, 100.0, 0.01)
    runs = [
        ("numpy", None, tiny_losses()),
        ("tensors", None, twin),
        ("autograd", None, twin.copy()),  # draws exactly the same line as tensors
        ("nn", "high", twin * 10),
        ("optim", None, spiky_losses()),
    ]
    with chart_server(tmp_path_factory.mktemp("charts"), runs) as served:
        yield served


def open_chart(page, url: str):
    page.goto(url)
    chart = page.locator("#chart")
    expect(chart).to_have_attribute("data-points", re.compile(r"^[1-9]"))
    return chart


def settle(page) -> None:
    """Wait two frames: a chart redraws (or is rebuilt) at the next one after a change."""
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def drag(page, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Drag across the chart from `start` to `end`, fractions of its plot area."""
    settle(page)  # a control just changed rebuilds the chart at the next frame: measure the new one
    box = page.locator("#chart .u-over").bounding_box()
    at = [(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy) for fx, fy in (start, end)]
    page.mouse.move(*at[0])
    page.mouse.down()
    page.mouse.move(*at[1], steps=8)
    page.mouse.up()


def test_tiny_losses_draw_on_the_run_page(page, charts):
    url, ids = charts
    chart = open_chart(page, f"{url}/runs/{ids[TINY]}")

    expect(chart).to_have_attribute("data-points", str(STEPS))
    assert float(chart.get_attribute("data-y-min")) <= 1e-296  # the curve reaches the bottom
    expect(page.locator(".chart-note")).to_have_text("3 points ≤ 0 not drawn on the log scale")
    screenshot(page, "run-page-tiny-losses")


def test_tiny_losses_draw_on_compare(page, charts):
    url, ids = charts
    chart = open_chart(page, f"{url}/compare?ids={ids[TINY]},{ids[TWIN_A]}")

    expect(chart).to_have_attribute("data-points", str(2 * STEPS))
    assert float(chart.get_attribute("data-y-min")) <= 1e-296
    expect(page.locator(".chart-note")).to_contain_text("3 points ≤ 0 not drawn")


def test_run_page_view_survives_a_reload(page, charts):
    url, ids = charts
    chart = open_chart(page, f"{url}/runs/{ids[TWIN_A]}")
    page.locator("#chart-controls label", has_text="linear").click()
    page.locator("#log-x").check()
    page.locator("#smoothing").fill("0.95")
    page.locator("#running-min").check()
    unzoomed = chart.get_attribute("data-x-min")
    drag(page, (0.2, 0.5), (0.6, 0.52))  # x only
    expect(page).to_have_url(re.compile(r"zx="))
    expect(chart).not_to_have_attribute("data-x-min", unzoomed)  # redrawn at the next frame
    x_range = chart.get_attribute("data-x-min"), chart.get_attribute("data-x-max")

    page.reload()
    expect(chart).to_have_attribute("data-y-distr", "1")
    expect(chart).to_have_attribute("data-x-distr", "3")
    expect(page.locator("#smoothing-value")).to_have_text("0.950")
    expect(page.locator("#running-min")).to_be_checked()
    expect(page.locator("#chart .u-legend")).to_contain_text("running min")
    expect(chart).to_have_attribute("data-x-min", x_range[0])
    expect(chart).to_have_attribute("data-x-max", x_range[1])


def test_compare_view_survives_a_reload(page, charts):
    url, ids = charts
    chart = open_chart(page, f"{url}/compare?ids={ids[TWIN_A]},{ids[HIGH]}")
    page.locator("#chart .u-legend tr", has_text="high").click()  # hide run "high"
    settle(page)
    unzoomed = chart.get_attribute("data-y-min")
    drag(page, (0.5, 0.3), (0.52, 0.6))  # y only
    expect(page).to_have_url(re.compile(rf"hide={ids[HIGH]}"))
    expect(chart).not_to_have_attribute("data-y-min", unzoomed)  # redrawn at the next frame
    y_range = chart.get_attribute("data-y-min"), chart.get_attribute("data-y-max")

    page.reload()
    expect(page.locator("#chart .u-legend tr.u-off", has_text="high")).to_have_count(1)
    expect(chart).to_have_attribute("data-y-min", y_range[0])
    expect(chart).to_have_attribute("data-y-max", y_range[1])
    page.locator("#reset-zoom").click()
    expect(page).not_to_have_url(re.compile("zy="))


def test_run_colour_is_the_same_on_run_page_and_compare(page, charts):
    url, ids = charts
    run_id = ids[HIGH]
    open_chart(page, f"{url}/runs/{run_id}")
    expected = page.evaluate(RGB_JS, page.evaluate(RUN_COLOR_JS, run_id))
    marker = page.locator("#chart .u-legend tr").nth(1).locator(".u-marker")
    assert marker.evaluate("e => getComputedStyle(e).borderColor") == expected

    open_chart(page, f"{url}/compare?ids={ids[TWIN_A]},{run_id}")
    swatch = page.locator(f'tr[data-id="{run_id}"] .swatch')
    assert swatch.evaluate("e => getComputedStyle(e).backgroundColor") == expected
    legend = page.locator("#chart .u-legend tr", has_text="high").locator(".u-marker")
    assert legend.evaluate("e => getComputedStyle(e).borderColor") == expected


def test_tooltip_lists_every_run_highest_first_with_twins_together(page, charts):
    url, ids = charts
    open_chart(page, f"{url}/compare?ids={ids[TWIN_A]},{ids[TWIN_B]},{ids[HIGH]}")
    box = page.locator("#chart .u-over").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 5)  # near the top line

    rows = page.locator(".chart-tip .tip-row")
    expect(rows).to_have_count(2)
    labels = rows.evaluate_all("rows => rows.map((r) => r.dataset.label)")
    assert labels == [f"#{ids[HIGH]} high", f"#{ids[TWIN_A]} tensors = #{ids[TWIN_B]} autograd"]
    expect(page.locator(".chart-tip .tip-row.near")).to_have_attribute("data-label", labels[0])
    screenshot(page, "compare-tooltip")


def test_best_so_far_is_marked_at_its_step(page, charts):
    url, ids = charts
    chart = open_chart(page, f"{url}/runs/{ids[TWIN_A]}")

    expect(chart).to_have_attribute("data-best-step", str(STEPS - 1))
    expect(page.locator(".chart-best")).to_have_text("● best 0.01 at step 299")


def test_ignore_outliers_clips_the_spikes_and_says_so(page, charts):
    url, ids = charts
    chart = open_chart(page, f"{url}/runs/{ids[SPIKY]}")
    assert float(chart.get_attribute("data-y-max")) >= 1e6

    page.locator("#outliers").check()
    expect(chart).to_have_attribute("data-clipped", re.compile(r"^[1-9]"))
    expect(page.locator(".chart-note")).to_contain_text("clipped (ignore outliers)")
    assert float(chart.get_attribute("data-y-max")) < 1e3
    screenshot(page, "run-page-ignore-outliers")


def test_legend_entry_hides_a_line_from_the_keyboard(page, charts):
    url, ids = charts
    open_chart(page, f"{url}/compare?ids={ids[TWIN_A]},{ids[HIGH]}")
    entry = page.locator("#chart .u-legend tr", has_text="high")
    entry.focus()
    page.keyboard.press("Enter")

    expect(entry).to_have_class(re.compile(r"\bu-off\b"))
    expect(page).to_have_url(re.compile(rf"hide={ids[HIGH]}"))


def test_chart_takes_the_dark_palette_on_themechange(page, charts):
    url, ids = charts
    open_chart(page, f"{url}/runs/{ids[HIGH]}")
    page.evaluate("""() => { document.documentElement.dataset.theme = "dark";
      window.dispatchEvent(new CustomEvent("themechange")); }""")
    expected = page.evaluate(RGB_JS, page.evaluate(RUN_COLOR_JS, ids[HIGH]))

    marker = page.locator("#chart .u-legend tr").nth(1).locator(".u-marker")
    expect(marker).to_have_css("border-color", expected)


def test_compare_draws_by_seconds_too(page, charts):
    url, ids = charts
    chart = open_chart(page, f"{url}/compare?ids={ids[TWIN_A]},{ids[HIGH]}")
    page.locator("#chart-controls label", has_text="seconds").click()

    expect(chart).to_have_attribute("data-x-key", "time")
    expect(page).to_have_url(re.compile(r"x=time"))
    assert float(chart.get_attribute("data-x-max")) == pytest.approx(STEPS * 1e-3, rel=0.01)
