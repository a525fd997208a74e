"""A zoom kept in the URL draws its lines (read from the canvas's pixels), and a box drawn on a
log-x chart zooms to the box, not to the decades around it."""

from __future__ import annotations

import re

import pytest

from tests.e2e.chartruns import chart_server, falling
from tests.e2e.conftest import expect
from tests.e2e.test_charts import RGB_JS, RUN_COLOR_JS, drag, open_chart

pytestmark = pytest.mark.e2e
STEPS = 3000

# How many pixels of the canvas are drawn within a small distance of the colour "rgb(r, g, b)".
COUNT_PIXELS_JS = """(rgb) => {
  const [r, g, b] = rgb.match(/\\d+/g).map(Number);
  const canvas = document.querySelector("#chart canvas");
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 30) n++;
  }
  return n;
}"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    loss = falling(STEPS, 100.0, 0.01)
    with chart_server(tmp_path_factory.mktemp("zoom"), [("tensors", None, loss)] * 3) as served:
        yield served


def drawn_pixels(page, run_id: int) -> int:
    """Pixels of the chart in run `run_id`'s colour, once two frames have drawn."""
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    color = page.evaluate(RGB_JS, page.evaluate(RUN_COLOR_JS, run_id))
    return page.evaluate(COUNT_PIXELS_JS, color)


@pytest.mark.parametrize("query", ["zx=100,200", "zx=100,200&zy=1,1000", "zx=100,2000&logx=1"])
def test_run_page_zoom_from_the_url_draws_the_line(page, runs, query):
    url, ids = runs
    open_chart(page, f"{url}/runs/{ids[0]}?{query}")
    expect(page.locator("#chart")).to_have_attribute("data-x-min", "100")

    assert drawn_pixels(page, ids[0]) > 100


def test_compare_zoom_from_the_url_draws_every_line(page, runs):
    url, ids = runs
    open_chart(page, f"{url}/compare?ids={','.join(map(str, ids))}&zx=100,200")
    expect(page.locator("#chart")).to_have_attribute("data-x-min", "100")

    # the three runs draw the same line: the last drawn covers the others
    assert drawn_pixels(page, ids[-1]) > 100


def test_zoom_drawn_on_the_page_survives_a_reload(page, runs):
    url, ids = runs
    open_chart(page, f"{url}/runs/{ids[1]}")
    drag(page, (0.3, 0.5), (0.6, 0.52))
    expect(page).to_have_url(re.compile(r"zx="))

    page.reload()
    open_chart(page, page.url)
    assert drawn_pixels(page, ids[1]) > 100


def test_log_x_box_zoom_keeps_the_box_ends(page, runs):
    url, ids = runs
    chart = open_chart(page, f"{url}/runs/{ids[2]}?logx=1")
    unzoomed = chart.get_attribute("data-x-min")
    drag(page, (0.5, 0.5), (0.8, 0.52))
    expect(page).to_have_url(re.compile(r"zx="))
    expect(chart).not_to_have_attribute("data-x-min", unzoomed)  # redrawn at the next frame

    zoom = re.search(r"zx=([^&]+)", page.url).group(1).replace("%2C", ",").split(",")
    shown = [float(chart.get_attribute(f"data-x-{end}")) for end in ("min", "max")]
    # not the decades around the box (a drag to 600-3000 showed 600-10,000)
    assert shown == pytest.approx([float(v) for v in zoom], rel=1e-4)
