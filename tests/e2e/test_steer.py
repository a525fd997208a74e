"""Steering a run from its page in a real browser: Pause, Resume and Step; a learning rate
changed live and marked on the loss chart; refusals next to their fields; the trained model's
download and the lines that load it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import Server, expect, row, screenshot
from tests.helpers import TINY, ServerProcess, wait_for, wait_status

pytestmark = pytest.mark.e2e
LR = 1e-8
# slow enough (a few hundred steps a second) that the chart holds every loss, undecimated
SLOW = {"variant": "autograd", "iterations": 1_000_000, "H": 400, "learning_rate": LR, "seed": 3}


@pytest.fixture
def slow_run(server: Server) -> Iterator[int]:
    """A long run, running; cancelled at the end, paused or not."""
    response = server.api("POST", "/api/runs", json=SLOW)
    assert response.status_code == 201, response.text
    run_id = response.json()["id"]
    wait_status(server, run_id, ["running"])
    yield run_id
    server.api("POST", f"/api/runs/{run_id}/cancel")


def open_run(page, server: Server | ServerProcess, run_id: int, status: str) -> None:
    page.goto(f"{server.url}/runs/{run_id}")
    expect(status_badge(page)).to_have_text(status)


def status_badge(page):
    return page.locator("#run-numbers [data-field=status]")


def pause(page) -> None:
    page.click("#pause-run")
    expect(status_badge(page)).to_have_text("paused")


def expect_paused_buttons(page) -> None:
    expect(page.locator("#pause-run")).to_be_hidden()
    expect(page.locator("#resume-run")).to_be_visible()
    expect(page.locator("#step-form")).to_be_visible()
    expect(page.locator("#cancel-run")).to_be_visible()


def test_steer_pause_resume_then_step_one_loss(page, server, slow_run):
    open_run(page, server, slow_run, "running")
    expect(page.locator("#resume-run")).to_be_hidden()
    pause(page)
    expect_paused_buttons(page)

    page.click("#resume-run")
    expect(status_badge(page)).to_have_text("running")
    expect(page.locator("#pause-run")).to_be_visible()
    expect(page.locator("#resume-run")).to_be_hidden()
    pause(page)

    chart = page.locator("#chart")
    held = server.get(f"/api/runs/{slow_run}").json()["iteration"]
    expect(chart).to_have_attribute("data-points", str(held))  # every loss, none thinned
    page.fill("#step-n", "1")
    page.click("#step-run")
    expect(chart).to_have_attribute("data-points", str(held + 1))
    expect(status_badge(page)).to_have_text("paused")
    expect_paused_buttons(page)
    assert server.get(f"/api/runs/{slow_run}").json()["iteration"] == held + 1


def test_steer_paused_run_shows_paused_in_the_runs_table(page, server, slow_run):
    server.api("POST", f"/api/runs/{slow_run}/pause")
    wait_status(server, slow_run, ["paused"])
    page.goto(server.url + "/")
    status = row(page, slow_run).locator("[data-field=status]")
    expect(status).to_have_text("paused")
    expect(status).to_have_attribute("data-status", "paused")
    expect(row(page, slow_run).locator('[data-action="cancel"]')).to_be_visible()
    expect(row(page, slow_run).locator('[data-action="delete"]')).to_be_hidden()


def test_steer_step_over_the_steps_left_refused_next_to_n(page, server, slow_run):
    server.api("POST", f"/api/runs/{slow_run}/pause")
    held = wait_status(server, slow_run, ["paused"])["iteration"]
    open_run(page, server, slow_run, "paused")
    page.fill("#step-n", "10000000")
    page.click("#step-run")
    expect(page.locator("#step-n-error")).to_contain_text("n must be at most")
    expect(page.locator("#step-n")).to_have_attribute("aria-invalid", "true")
    assert server.get(f"/api/runs/{slow_run}").json()["iteration"] == held


def marks(page) -> list[str]:
    return json.loads(page.locator("#chart").get_attribute("data-marks") or "[]")


def test_steer_live_learning_rate_marked_on_the_chart(page, server, slow_run):
    open_run(page, server, slow_run, "running")
    field = page.locator("#hyper-learning_rate")
    expect(field).to_have_value("1e-8")
    field.fill("2e-8")
    field.press("Enter")
    label = "lr 1e-8 → 2e-8"
    expect(page.locator("#chart")).to_have_attribute("data-marks", re.compile(re.escape(label)))
    assert marks(page) == [label]
    expect(field).to_have_value("2e-8")

    def both() -> list[float] | None:
        stored = server.get(f"/api/runs/{slow_run}/series/lr")  # 404 until its first batch
        values = stored.json()["value"] if stored.status_code == 200 else []
        return values if 2e-8 in values else None

    assert wait_for(both) == [1e-8, 2e-8]
    event = server.get(f"/api/runs/{slow_run}").json()["events"][0]
    assert (event["field"], event["old"], event["new"]) == ("learning_rate", 1e-8, 2e-8)
    # some steps after the change, then paused: the page as a learner leaves it
    step = event["step"]
    wait_for(lambda: server.get(f"/api/runs/{slow_run}").json()["iteration"] > step + 100, 60)
    pause(page)
    expect(page.locator("#model-link")).to_be_visible()  # its pause's checkpoint
    screenshot(page, "run-page-lr-change")


def test_steer_paused_run_learning_rate_marked_at_its_step(page, server, slow_run):
    server.api("POST", f"/api/runs/{slow_run}/pause")
    held = wait_status(server, slow_run, ["paused"])["iteration"]
    open_run(page, server, slow_run, "paused")
    field = page.locator("#hyper-learning_rate")
    field.fill("5e-9")
    field.press("Enter")
    expect(page.locator("#chart")).to_have_attribute("data-marks", '["lr 1e-8 → 5e-9"]')
    expect(page.locator("#hyper-note")).to_have_text("from the step it resumes at")
    event = server.get(f"/api/runs/{slow_run}").json()["events"][0]
    assert (event["step"], event["new"]) == (held, 5e-9)


def test_steer_learning_rate_zero_refused_next_to_the_field(page, server, slow_run):
    open_run(page, server, slow_run, "running")
    field = page.locator("#hyper-learning_rate")
    expect(field).to_have_value("1e-8")
    field.fill("0")
    page.click("#hyper-set")
    error = page.locator("#hyper-learning_rate-error")
    expect(error).to_have_text("Input should be greater than 0")
    expect(field).to_have_attribute("aria-invalid", "true")
    assert server.get(f"/api/runs/{slow_run}").json()["events"] == []


def test_steer_completed_nn_run_offers_its_model_and_the_lines_to_load_it(page, server):
    body = {"variant": "nn", "iterations": 20, **TINY}
    run_id = server.api("POST", "/api/runs", json=body).json()["id"]
    wait_status(server, run_id, ["completed"])
    open_run(page, server, run_id, "completed")
    link = page.locator("#model-link")
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", f"/api/runs/{run_id}/model")
    expect(page.locator("#model-step")).to_contain_text("step 19's loss")
    code = page.locator("#model-code")
    expect(code).to_contain_text("D_in, H, D_out = 16, 16, 1")
    load = f'model.load_state_dict(torch.load("run-{run_id}.pt", weights_only=True))'
    expect(code).to_contain_text(load)
    expect(page.locator("#pause-run, #resume-run, #step-form")).to_have_count(3)
    for control in ("#pause-run", "#resume-run", "#step-form"):
        expect(page.locator(control)).to_be_hidden()
    download = server.get(f"/api/runs/{run_id}/model")
    assert download.status_code == 200
    assert download.headers["X-Lossboard-Step"] == "19"


@pytest.fixture(scope="module")
def process(tmp_path_factory) -> Iterator[ServerProcess]:
    """A server of its own, to stop and start again."""
    env = {"OMP_NUM_THREADS": "1", "LOSSBOARD_LOG_LEVEL": "warning"}
    with ServerProcess(tmp_path_factory.mktemp("steer"), env=env) as process:
        yield process


def test_steer_resume_after_a_restart_follows_the_run_again(page, process):
    run_id = httpx.post(process.url + "/api/runs", json=SLOW, timeout=30).json()["id"]
    wait_status(process, run_id, ["running"])
    httpx.post(f"{process.url}/api/runs/{run_id}/pause", timeout=30)
    held = wait_status(process, run_id, ["paused"])["iteration"]
    process.stop()
    process.start()  # the paused run is only in the store now: its socket replays it and ends
    open_run(page, process, run_id, "paused")
    chart = page.locator("#chart")
    expect(chart).to_have_attribute("data-points", str(held))
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "done")

    page.click("#resume-run")
    note = f"run {run_id} goes on from its checkpoint at step {held}"
    expect(page.locator("#steer-note")).to_have_text(note)
    expect(status_badge(page)).to_have_text("running")
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")
    more = "held => Number(document.getElementById('chart').dataset.points) > held"
    page.wait_for_function(more, arg=held)  # the losses after its checkpoint come in
    httpx.post(f"{process.url}/api/runs/{run_id}/cancel", timeout=30)
