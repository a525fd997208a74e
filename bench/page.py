"""A run's page in Chromium while a long run streams into it: how long until its chart is drawn,
and how long its frames take while every point arrives.

Against a real `lossboard serve` on loopback and Debian's Chromium (the Playwright package, as
the browser tests use). Prints the time from navigation to the first drawn chart (target
<= 1000 ms), the frame intervals over a few seconds of streaming, p50/p95/max (target p95 <=
50 ms: no visible stutter), and the main thread's long tasks (over 50 ms) meanwhile.
"""

from __future__ import annotations

import statistics
import tempfile

import httpx
from playwright.sync_api import sync_playwright
from stream import TINY, LocalServer

CHROMIUM = "/usr/bin/chromium"
ITERATIONS, SAMPLE_MS = 1_000_000, 4000
# Every frame's interval, and the long tasks, while the page receives points for SAMPLE_MS.
FRAMES_JS = """async (ms) => {
  const long = [];
  new PerformanceObserver((list) => long.push(...list.getEntries().map((e) => e.duration)))
    .observe({ type: "longtask" });
  const gaps = [];
  await new Promise((resolve) => {
    let last = performance.now();
    const end = last + ms;
    requestAnimationFrame(function frame(t) {
      gaps.push(t - last);
      last = t;
      if (t < end) requestAnimationFrame(frame);
      else resolve();
    });
  });
  return { gaps, long };
}"""


def measure(page, url: str) -> tuple[float, list[float], list[float]]:
    """Open the run page; return ms to the first drawn chart, then frame gaps and long tasks."""
    page.goto(url)
    page.wait_for_function("Number(document.getElementById('chart').dataset.points) > 0")
    first_draw_ms = page.evaluate("performance.now()")
    sample = page.evaluate(FRAMES_JS, SAMPLE_MS)
    return first_draw_ms, sample["gaps"], sample["long"]


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir, LocalServer(data_dir) as server:
        body = {"variant": "tensors", "device": "cpu", "iterations": ITERATIONS, **TINY}
        run = httpx.post(f"{server.url}/api/runs", json=body, timeout=30).json()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            first_draw_ms, gaps, long = measure(page, f"{server.url}/runs/{run['id']}")
            points = page.locator("#chart").get_attribute("data-points")
            browser.close()
        httpx.post(f"{server.url}/api/runs/{run['id']}/cancel", timeout=30)
    percentiles = statistics.quantiles(gaps, n=100)
    p50, p95 = percentiles[49], percentiles[94]
    print(f"first chart drawn {first_draw_ms:.0f} ms after navigation (target <= 1000 ms)")
    print(
        f"{len(gaps)} frames in {SAMPLE_MS / 1000:.0f} s of streaming: p50 {p50:.1f} ms, "
        f"p95 {p95:.1f} ms (target <= 50 ms), max {max(gaps):.1f} ms; {points} points held"
    )
    print(f"long tasks: {len(long)}, {sum(long):.0f} ms in all")


if __name__ == "__main__":
    main()
