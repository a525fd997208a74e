"""A real `lossboard serve` subprocess and Debian's Chromium driven by Playwright.

Without Chromium (or Playwright) the browser tests skip locally but fail in CI (CI=true):
a browser test that silently skips in CI tests nothing.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pytest

from server.protocol import LIVE_STATUSES
from server.store.sqlite import Store
from server.training.spec import RunSpec, resolve
from tests.helpers import ServerProcess

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
BIG_RUN_STEPS = 1_000_000


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str) -> None:
    """Fail in CI, skip elsewhere."""
    if in_ci():
        pytest.fail(f"{reason}; CI is set, so the browser tests must run", pytrace=False)
    pytest.skip(reason)


@dataclass
class Server:
    url: str
    big_run_id: int
    log: Path

    def api(self, method: str, path: str, **kwargs) -> httpx.Response:
        return httpx.request(method, self.url + path, timeout=30, **kwargs)

    def get(self, path: str) -> httpx.Response:
        """GET a path on this server."""
        return self.api("GET", path)


def seed_big_run(data_dir: Path) -> int:
    """A finished run of a million steps, written straight into the store the server will open."""
    config = resolve(RunSpec(variant="autograd", iterations=BIG_RUN_STEPS, seed=7), "cpu")
    steps = np.arange(BIG_RUN_STEPS)
    rng = np.random.default_rng(7)
    # falls from ~1e7 to ~1e-4, with noise, as the tutorial's loss does
    trend = 10 ** (7 - 11 * (1 - np.exp(-steps / 120_000)))
    loss = trend * np.exp(0.2 * rng.standard_normal(steps.size))
    times = steps * 2e-4
    now = time.time()
    store = Store(data_dir)
    store.open()
    try:
        run_id = store.create_run({
            "variant": "autograd", "name": "a million steps", "config": config.as_dict(),
            "device": "cpu", "status": "completed", "iteration": BIG_RUN_STEPS,
            "last_loss": float(loss[-1]), "best_loss": float(loss.min()),
            "iterations_per_second": 5000.0, "created_at": now - 200, "started_at": now - 200,
            "finished_at": now,
        })  # fmt: skip
        for start in range(0, BIG_RUN_STEPS, 50_000):
            chunk = slice(start, start + 50_000)
            store.append_losses(run_id, start, loss[chunk].tobytes(), times[chunk].tobytes())
        store.flush()
    finally:
        store.close()
    return run_id


@contextmanager
def serve(data_dir: Path, *args: str) -> Iterator[str]:
    """`python -m server serve` on a free port; yields its base URL once /healthz answers."""
    # One torch thread per run: on a small shared CI box, two threads fighting for two busy
    # cores made a 500-step run twenty times slower.
    env = {"OMP_NUM_THREADS": "1", "LOSSBOARD_LOG_LEVEL": "warning"}
    with ServerProcess(data_dir, *args, env=env) as process:
        yield process.url


@contextmanager
def seeded_server(data_dir: Path, *args: str) -> Iterator[Server]:
    """A server as `serve` starts it, its store seeded with a million-step run."""
    big_run_id = seed_big_run(data_dir)
    with serve(data_dir, *args) as url:
        yield Server(url, big_run_id, data_dir / "server.log")


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[Server]:
    """The server under test, training on its own threads."""
    with seeded_server(tmp_path_factory.mktemp("lossboard-data")) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        unavailable(f"{CHROMIUM} is missing (make chromium installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is missing")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def tab(browser, server):
    """A page of this server without JS of its own, to import the pages' modules into."""
    context = browser.new_context()
    tab = context.new_page()
    tab.goto(server.url + "/compare")
    yield tab
    context.close()


@pytest.fixture
def page(browser, server):
    """A fresh 1280-wide tab; the test fails on any page error, console error or dialog."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def on_console(msg) -> None:
        # a CSP violation or a missing asset is logged as an error; a 422, or the playground
        # refusing a snippet, is the server's answer, which the page shows
        if msg.type == "error" and not server_answer(msg):
            problems.append(f"console: {msg.text}")

    page.on("console", on_console)

    def on_dialog(dialog) -> None:
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.set_default_timeout(30_000)
    yield page
    context.close()
    cancel_live_runs(server)
    assert problems == []


def server_answer(msg) -> bool:
    """Whether a console error is the browser logging a 4xx the page was meant to show."""
    if "status of 422" in msg.text:
        return True
    refused = msg.location.get("url", "").endswith("/api/playground/eval")
    return refused and "status of 4" in msg.text


def cancel_live_runs(server: Server) -> None:
    """Leave no run queued or running for the next test (they share one worker)."""
    for status in LIVE_STATUSES:
        for run in server.api("GET", f"/api/runs?status={status}&limit=1000").json()["runs"]:
            server.api("POST", f"/api/runs/{run['id']}/cancel")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# ---- helpers for the tests' pages

# sizes that make a run take milliseconds
SMALL = {"N": "32", "D_in": "100", "H": "50", "D_out": "10"}


def api_calls(page) -> list[str]:
    """The URLs of the API requests the page makes from now on."""
    calls: list[str] = []
    page.on("request", lambda request: "/api/" in request.url and calls.append(request.url))
    return calls


def add_device_script(device: dict) -> str:
    """An init script that adds `device` to the page's data, as a server with it would render
    them: once the page is parsed ("interactive"), before its module scripts run."""
    return f"""document.addEventListener("readystatechange", () => {{
  if (document.readyState !== "interactive") return;
  const block = document.getElementById("page-data");
  const data = JSON.parse(block.textContent);
  data.devices.push({json.dumps(device)});
  block.textContent = JSON.stringify(data);
}});"""


def expect(*args, **kwargs):
    """Playwright's expect, imported late: without playwright the browser fixture decides."""
    from playwright.sync_api import expect

    return expect(*args, **kwargs)


def open_dashboard(page, base_url: str, query: str = "") -> None:
    """Open the dashboard and wait for its form: its buttons are enabled once its JS is ready."""
    page.goto(base_url + "/" + query)
    expect(page.locator("#start-run")).to_be_enabled()


def submit_form(page) -> int:
    """Press "Start run" and return the new run's id."""

    def is_create(response) -> bool:
        return response.url.endswith("/api/runs") and response.request.method == "POST"

    with page.expect_response(is_create) as info:
        page.click("#start-run")
    return info.value.json()["id"]


def row(page, run_id: int):
    return page.locator(f'tr.run-row[data-id="{run_id}"]')


def run_all_compared(page, count: int):
    """Press "Run all", which opens the comparison of its `count` runs; their rows once all
    have completed."""
    page.click("#run-all")
    page.wait_for_url(re.compile(rf"/compare\?ids=\d+(,\d+){{{count - 1}}}$"))
    rows = page.locator("#compare-runs tbody tr")
    expect(rows).to_have_count(count)
    for i in range(count):
        expect(rows.nth(i).locator("[data-field=status]")).to_have_text("completed", timeout=60_000)
    return rows


# ---- every page, for the checks that visit them all (phone width, dark mode, axe, screenshots)


@pytest.fixture(scope="session")
def site(server) -> dict[str, str]:
    """Each page's path on the session's server, by name, with a finished sweep of two tiny
    runs behind the run, compare and sweep pages."""
    from tests.helpers import TINY, wait_for

    body = {"name": "lr sweep", "variant": "autograd", "base": {"iterations": 40, **TINY},
            "params": {"learning_rate": {"values": [1e-6, 1e-5]}}}  # fmt: skip
    sweep = server.api("POST", "/api/sweeps", json=body).json()
    wait_for(lambda: server.get(f"/api/sweeps/{sweep['id']}").json()["status"] != "running")
    first, second = sweep["run_ids"][:2]
    return {
        "dashboard": "/",
        "run": f"/runs/{first}",
        "compare": f"/compare?ids={first},{second}",
        "playground": "/playground",
        "sweep": f"/sweeps/{sweep['id']}",
        "sweeps": "/sweeps",
        "error": "/runs/abc",
        "docs": "/docs",
    }
