"""A sweep's page in Chromium with 100 runs of 2,000 points: how long until its curves are drawn;
and a sweep at the cap, 500 one-step runs: its first chart and its parallel coordinates.

The sweep (20 learning rates x 5 seeds, the largest ones diverging) is written straight into a
store, then a real `lossboard serve` opens it. Prints the median, over a few loads, of the time
from navigation to the curves chart holding every run's thinned history (target < 1500 ms).
For the 500-run sweep: first chart (target < 1000 ms) and all 500 lines of the parallel
coordinates drawn (target < 1500 ms).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from playwright.sync_api import sync_playwright
from stream import LocalServer

from server.store.sqlite import Store
from server.store.sweeps import insert_sweep
from server.training.spec import RunSpec, resolve

CHROMIUM = "/usr/bin/chromium"
STEPS, SEEDS, LOADS, TARGET_MS = 2000, 5, 5, 1500
RATES = np.logspace(-7, -3, 20)
DIVERGE_AT = 1e-4  # rates above this blow up, as the numpy loop does
STAMPS = ("first-drawn-at", "drawn-at")  # the page's own marks, in ms after navigation
CAP_RUNS, CAP_FIRST_MS, CAP_PARCOORDS_MS = 500, 1000, 1500


def losses(lr: float, seed: int) -> np.ndarray:
    """A falling loss whose speed follows the rate; past DIVERGE_AT it climbs and stops early."""
    rng = np.random.default_rng(seed)
    steps = np.arange(STEPS)
    if lr > DIVERGE_AT:
        return 1e3 * np.exp(steps[: 300 + seed * 20] / 12.0)
    trend = 3e4 * np.exp(-steps * lr * 2e3) + 1e-3
    return trend * np.exp(0.1 * rng.standard_normal(STEPS))


def run_row(lr: float, seed: int, now: float) -> tuple[dict, np.ndarray]:
    loss = losses(lr, seed)
    diverged = lr > DIVERGE_AT
    config = resolve(RunSpec(variant="numpy", iterations=STEPS, learning_rate=lr, seed=seed), "cpu")
    row = {
        "variant": "numpy", "name": None, "config": config.as_dict(), "device": "cpu",
        "status": "diverged" if diverged else "completed", "iteration": loss.size,
        "last_loss": float(loss[-1]), "best_loss": float(loss.min()),
        "iterations_per_second": 4000.0, "created_at": now, "started_at": now,
        "finished_at": now + 1, "sweep_params": {"learning_rate": float(lr)},
        "error": "the loss became inf" if diverged else None,
    }  # fmt: skip
    return row, loss


def seed_sweep(data_dir: Path) -> int:
    """The sweep, its runs and their losses, written into the store the server will open."""
    now = time.time()
    rows = [run_row(lr, seed, now) for lr in RATES for seed in range(SEEDS)]
    spec = {"variants": ["numpy"], "method": "grid", "seeds": SEEDS, "base": {"seed": 0},
            "params": {"learning_rate": {"values": [float(r) for r in RATES]}}}  # fmt: skip
    sweep = {"name": "bench: 20 rates x 5 seeds", "spec": spec, "seed": 0, "created_at": now}
    store = Store(data_dir)
    store.open()
    try:
        future = store.submit(lambda conn: insert_sweep(conn, sweep, [row for row, _ in rows]))
        sweep_id, ids = future.result(60)
        for run_id, (_, loss) in zip(ids, rows, strict=True):
            times = np.arange(loss.size) * 2.5e-4
            store.append_losses(run_id, 0, loss.tobytes(), times.tobytes())
        store.flush()
    finally:
        store.close()
    return sweep_id


def seed_cap_sweep(data_dir: Path) -> int:
    """A sweep at the cap: 500 one-step runs over learning_rate and H, as a random sweep."""
    now, rng = time.time(), np.random.default_rng(5)
    rows = []
    for _ in range(CAP_RUNS):
        lr, h = float(10 ** rng.uniform(-7, -3)), int(rng.integers(16, 257))
        row, _ = run_row(lr, 0, now)
        row |= {"iteration": 1, "sweep_params": {"learning_rate": lr, "H": h}}
        rows.append((row, np.array([row["last_loss"]])))
    spec = {"variants": ["numpy"], "method": "random", "count": CAP_RUNS, "seeds": 1,
            "base": {"seed": 0}, "params": {"learning_rate": {"log_uniform": [1e-7, 1e-3]},
                                            "H": {"int_uniform": [16, 256]}}}  # fmt: skip
    sweep = {"name": "bench: 500 one-step runs", "spec": spec, "seed": 0, "created_at": now}
    store = Store(data_dir)
    store.open()
    try:
        future = store.submit(lambda conn: insert_sweep(conn, sweep, [row for row, _ in rows]))
        sweep_id, ids = future.result(60)
        for run_id, (_, loss) in zip(ids, rows, strict=True):
            store.append_losses(run_id, 0, loss.tobytes(), np.zeros(1).tobytes())
        store.flush()
    finally:
        store.close()
    return sweep_id


def cap_ms(page, url: str) -> tuple[float, float]:
    """Open the 500-run page; ms to its first chart, and to its parallel coordinates' lines."""
    page.goto(url)
    page.wait_for_selector("#page[data-parcoords-at][data-first-drawn-at]", state="attached",
                           timeout=60_000)  # fmt: skip
    lines = page.locator("#parcoords").get_attribute("data-lines")
    assert lines == str(CAP_RUNS), lines
    stamps = [page.locator("#page").get_attribute(k) for k in ("data-first-drawn-at",
                                                                "data-parcoords-at")]  # fmt: skip
    return float(stamps[0] or "nan"), float(stamps[1] or "nan")


def draw_ms(page, url: str) -> tuple[float, float]:
    """Open the page; ms from navigation to its first drawn curves, and to every run's."""
    page.goto(url)
    page.wait_for_selector("#page[data-drawn-at]", state="attached", timeout=60_000)
    stamps = [page.locator("#page").get_attribute(f"data-{key}") for key in STAMPS]
    return float(stamps[0] or "nan"), float(stamps[1] or "nan")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sweep_id = seed_sweep(Path(tmp))
        cap_id = seed_cap_sweep(Path(tmp))
        with LocalServer(tmp) as server:
            url = f"{server.url}/sweeps/{sweep_id}"
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless"])
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.on("pageerror", lambda error: print("page error:", error))
                loads = [draw_ms(page, url) for _ in range(LOADS)]
                series = page.locator("#curves").get_attribute("data-series")
                points = page.locator("#curves").get_attribute("data-points")
                caps = [cap_ms(page, f"{server.url}/sweeps/{cap_id}") for _ in range(LOADS)]
                browser.close()
    first = statistics.median(t for t, _ in loads)
    every = statistics.median(t for _, t in loads)
    print(f"sweep page, {len(RATES) * SEEDS} runs of {STEPS} points ({series} curves, {points} "
          f"points held), median of {LOADS} loads:")  # fmt: skip
    print(f"  first chart drawn {first:.0f} ms after navigation (target < {TARGET_MS} ms, "
          f"ratio {first / TARGET_MS:.2f}); every run's curve drawn {every:.0f} ms")  # fmt: skip
    print(f"  loads (first, every): {', '.join(f'{a:.0f}/{b:.0f}' for a, b in loads)} ms")
    first_cap = statistics.median(t for t, _ in caps)
    lines_cap = statistics.median(t for _, t in caps)
    print(f"sweep at the cap, {CAP_RUNS} one-step runs, median of {LOADS} loads:")
    print(f"  first chart drawn {first_cap:.0f} ms (target < {CAP_FIRST_MS} ms); parallel "
          f"coordinates with all {CAP_RUNS} lines {lines_cap:.0f} ms "
          f"(target < {CAP_PARCOORDS_MS} ms)")  # fmt: skip
    print(f"  loads (first, lines): {', '.join(f'{a:.0f}/{b:.0f}' for a, b in caps)} ms")


if __name__ == "__main__":
    main()
