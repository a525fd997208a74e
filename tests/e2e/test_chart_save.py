"""A chart saved as drawn, in a real browser: a PNG with the run's line and legend, and an SVG
whose lines, axes and legend follow the zoom and the smoothing."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.e2e.chartruns import chart_server, falling
from tests.e2e.conftest import expect
from tests.e2e.test_charts import RGB_JS, RUN_COLOR_JS, open_chart

pytestmark = pytest.mark.e2e
STEPS = 1000
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    loss = falling(STEPS, 100.0, 0.01)
    runs = [("tensors", "first", loss), ("nn", "second", loss * 3)]
    with chart_server(tmp_path_factory.mktemp("save"), runs) as served:
        yield served


def saved(page, button: str) -> bytes:
    with page.expect_download() as info:
        page.click(button)
    return Path(info.value.path()).read_bytes()


# The saved PNG's height, and how many of its pixels are near the colour "rgb(r, g, b)".
PNG_PIXELS_JS = """async ([bytes, rgb]) => {
  const [r, g, b] = rgb.match(/\\d+/g).map(Number);
  const image = await createImageBitmap(new Blob([new Uint8Array(bytes)], { type: "image/png" }));
  const canvas = new OffscreenCanvas(image.width, image.height);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(image, 0, 0);
  const { data } = ctx.getImageData(0, 0, image.width, image.height);
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 30) n++;
  }
  return [image.height, n];
}"""


def test_png_is_the_chart_as_drawn_with_its_legend(page, runs):
    url, ids = runs
    open_chart(page, f"{url}/runs/{ids[0]}?zx=100,400&smooth=0.9")
    png = saved(page, "#save-png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    color = page.evaluate(RGB_JS, page.evaluate(RUN_COLOR_JS, ids[0]))
    height, pixels = page.evaluate(PNG_PIXELS_JS, [list(png), color])
    chart_height = page.locator("#chart canvas").evaluate("c => c.height")
    assert height > chart_height  # the legend under the chart
    assert pixels > 100  # the line, in the run's colour


def test_svg_follows_the_zoom_and_lists_the_shown_runs(page, runs):
    url, ids = runs
    open_chart(page, f"{url}/compare?ids={ids[0]},{ids[1]}&zx=100,400&hide={ids[1]}")
    expect(page.locator("#chart")).to_have_attribute("data-x-min", "100")
    svg = ET.fromstring(saved(page, "#save-svg"))
    legend = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "legend"]
    assert legend == [f"#{ids[0]} first"]  # the hidden run is not in it
    paths = [p for p in svg.iter(f"{SVG}path") if p.get("class") == "series"]
    assert [p.get("data-label") for p in paths] == [f"#{ids[0]} first"]
    color = page.evaluate(RUN_COLOR_JS, ids[0])
    assert paths[0].get("stroke") == color
    ticks = [
        float(t.text.replace(",", ""))
        for t in svg.iter(f"{SVG}text")
        if re.fullmatch(r"[\d,]+", t.text or "") and t.get("text-anchor") == "middle"
    ]
    assert ticks and min(ticks) >= 100 and max(ticks) <= 400  # the zoomed x axis
