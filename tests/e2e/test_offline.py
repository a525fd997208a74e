"""A server that cannot be reached, in a real browser: every write says so and its button works
again, a banner shows while the pages are offline, a live status is not shown as current, and on
reconnect the chart holds what the store holds. A 404 page says nothing of being offline."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import expect, open_dashboard, screenshot
from tests.helpers import TINY, ServerProcess, wait_for

pytestmark = pytest.mark.e2e
UNREACHABLE = "cannot reach the server"


@pytest.fixture(scope="module")
def process(tmp_path_factory) -> Iterator[ServerProcess]:
    # a restart leaves the killed run as the kill left it: these pages show what the store holds
    env = {"OMP_NUM_THREADS": "1", "LOSSBOARD_LOG_LEVEL": "warning", "LOSSBOARD_RESUME": "off"}
    with ServerProcess(tmp_path_factory.mktemp("offline"), env=env) as process:
        yield process


@pytest.fixture(autouse=True)
def running(process) -> Iterator[None]:
    """Each test finds the server up, whatever the one before did to it."""
    yield
    if process.proc.poll() is not None:
        process.start()


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    errors: list[str] = []
    context.on("weberror", lambda error: errors.append(str(error.error)))
    yield context
    context.close()
    assert errors == []  # a failed fetch is not an uncaught error


def start_run(process: ServerProcess, iterations: int) -> int:
    body = {"variant": "tensors", "iterations": iterations, **TINY}
    response = httpx.post(process.url + "/api/runs", json=body, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def finished_run(process: ServerProcess) -> int:
    run_id = start_run(process, 20)
    wait_for(lambda: process.get(f"/api/runs/{run_id}").json()["status"] == "completed")
    return run_id


def stored_points(process: ServerProcess, run_id: int) -> int:
    """How many points the run page's history holds of `run_id`, as the store answers."""
    count, after = 0, -1
    while after is not None:
        page = process.get(f"/api/runs/{run_id}/losses?max_points=2000&after={after}").json()
        count, after = count + len(page["step"]), page["next_after"]
    return count


def restart(process: ServerProcess) -> None:
    """Kill the server (it stores nothing more) and start it again at the same address."""
    process.kill()
    process.start()


def test_writes_say_the_server_cannot_be_reached_and_work_again(process, context):
    done = finished_run(process)
    run_page, dashboard = context.new_page(), context.new_page()
    run_page.goto(f"{process.url}/runs/{done}")
    open_dashboard(dashboard, process.url)
    process.kill()

    run_page.click("#rerun-run")
    expect(run_page.locator("#banner")).to_contain_text(UNREACHABLE)
    expect(run_page.locator("#rerun-run")).to_be_enabled()
    run_page.click("#edit-meta")
    run_page.fill("#meta-form [name=notes]", "lr too high")
    run_page.click("#save-meta")
    expect(run_page.locator('#meta-form [data-error-for="_form"]')).to_have_text(UNREACHABLE)
    expect(run_page.locator("#save-meta")).to_be_enabled()
    dashboard.click("#start-run")
    expect(dashboard.locator('#run-form [data-error-for="_form"]')).to_have_text(UNREACHABLE)

    process.start()
    run_page.click("#rerun-run")
    run_page.wait_for_url(re.compile(rf"/runs/(?!{done}$)\d+$"))


def test_offline_shows_a_banner_and_no_live_status(process, context):
    run_id = start_run(process, 10_000_000)
    page = context.new_page()
    page.goto(f"{process.url}/runs/{run_id}")
    status = page.locator('#page [data-field="status"]').first
    expect(status).to_have_text("running")
    expect(page.locator("#chart")).to_have_attribute("data-points", re.compile(r"^[1-9]"))
    process.kill()

    expect(page.locator("#offline-banner")).to_be_visible()
    expect(status).to_have_text("unknown (offline)")
    screenshot(page, "run-offline")
    page.click("#cancel-run")
    expect(page.locator("#banner")).to_contain_text(UNREACHABLE)
    expect(page.locator("#cancel-run")).to_be_enabled()


def test_reconnect_shows_what_the_store_holds(process, context):
    run_id = start_run(process, 10_000_000)
    page = context.new_page()
    page.goto(f"{process.url}/runs/{run_id}")
    expect(page.locator("#chart")).to_have_attribute("data-points", re.compile(r"^[1-9]\d{3}"))
    restart(process)

    status = page.locator('#page [data-field="status"]').first
    expect(status).not_to_have_text(re.compile("running|offline"), timeout=60_000)
    expect(page.locator("#offline-banner")).to_be_hidden()
    points = stored_points(process, run_id)
    expect(page.locator("#chart")).to_have_attribute("data-points", str(points))


@pytest.mark.parametrize("path", ["/runs/9999", "/sweeps/9999"])
def test_not_found_page_does_not_say_offline(process, context, path):
    page = context.new_page()
    assert page.goto(process.url + path).status == 404
    expect(page.locator("body")).not_to_contain_text("offline")
