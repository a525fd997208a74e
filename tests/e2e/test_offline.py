"""A server that cannot be reached, in a real browser: every write says so and its button works
again."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import expect, open_dashboard
from tests.helpers import TINY, ServerProcess, wait_for

pytestmark = pytest.mark.e2e
UNREACHABLE = "cannot reach the server"


@pytest.fixture(scope="module")
def process(tmp_path_factory) -> Iterator[ServerProcess]:
    env = {"OMP_NUM_THREADS": "1", "LOSSBOARD_LOG_LEVEL": "warning"}
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
