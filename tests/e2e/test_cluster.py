"""The Cluster card and where a run trains, in a real browser, against `lossboard serve
--executor ray`: a private local Ray, one server for the module."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from tests.e2e.conftest import (
    Server,
    add_device_script,
    api_calls,
    expect,
    open_dashboard,
    screenshot,
    seeded_server,
)
from tests.helpers import TINY, wait_for

pytestmark = pytest.mark.e2e
LONG = {"variant": "nn", "iterations": 10_000_000, **TINY}  # trains until cancelled
RAY_GPU = {"id": "cuda", "kind": "cuda", "name": "1 GPUs on the Ray cluster", "memory_total": None}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """This module's server trains on Ray; `page` uses it (and cancels its runs) instead."""
    with seeded_server(tmp_path_factory.mktemp("ray-data"), "--executor", "ray") as server:
        yield server


@pytest.fixture
def node(server) -> dict:
    """The cluster's one node, as /api/system says."""
    (node,) = server.get("/api/system").json()["cluster"]["nodes"]
    return node


def start_running(server: Server) -> dict:
    """A run that trains until cancelled, once it has taken its first steps on a worker."""
    run_id = server.api("POST", "/api/runs", json=LONG).json()["id"]

    def training() -> dict | None:
        run = server.get(f"/api/runs/{run_id}").json()
        return run if run["worker"] and run["iteration"] > 0 else None

    return wait_for(training)


def busy_cluster(server: Server, node: dict) -> list[dict]:
    """A running run on every CPU of the cluster, so that the next one waits."""
    return [start_running(server) for _ in range(node["cpus"])]


def node_row(page, node: dict):
    return page.locator(f'#cluster tr.node-row[data-node="{node["id"]}"]')


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_cluster_card_shows_the_node_with_its_cpus(page, server, node):
    open_dashboard(page, server.url)
    tr = node_row(page, node)
    expect(tr.locator('[data-field="node"]')).to_have_text(node["id"][:8])
    expect(tr.locator('[data-field="cpus"]')).to_have_text(str(node["cpus"]))
    expect(tr.locator('[data-field="alive"]')).to_have_text("alive")
    expect(tr.locator('[data-field="gpus"]')).to_have_text("—")
    expect(tr.locator('[data-field="use"]')).to_have_text("—")  # no run there to sample it
    expect(page.locator('#cluster [data-field="reachable"]')).to_have_text("reachable")
    expect(page.locator('#cluster [data-field="queued"]')).to_have_text("cpu 0 · cuda 0")


def test_cluster_card_comes_with_the_page_then_polls_the_system(page, server, node):
    calls = api_calls(page)
    page.clock.install()
    page.clock.pause_at(datetime.now() + timedelta(seconds=1))  # timers wait for run_for
    open_dashboard(page, server.url)
    expect(node_row(page, node)).to_be_visible()
    assert calls == []  # the node came with the page
    with page.expect_request(lambda request: request.url.endswith("/api/system")):
        page.clock.run_for(2_000)


def test_cluster_card_shows_a_run_on_its_node_while_it_runs(page, server, node):
    open_dashboard(page, server.url)
    run = start_running(server)
    link = node_row(page, node).locator(f'a[href="/runs/{run["id"]}"]')
    expect(link).to_have_text(f"#{run['id']} nn")
    # its worker's samples (every 2 s) say what the node's CPU does
    use = node_row(page, node).locator('[data-field="use"]')
    expect(use).to_have_text(re.compile(r"^CPU \d+%$"), timeout=15_000)
    screenshot(page, "cluster-run-on-node")
    server.api("POST", f"/api/runs/{run['id']}/cancel")
    expect(link).to_have_count(0)
    expect(use).to_have_text("—")


def test_cluster_card_counts_the_runs_waiting_per_lane(page, server, node):
    open_dashboard(page, server.url)
    busy_cluster(server, node)
    server.api("POST", "/api/runs", json=LONG)
    expect(page.locator('#cluster [data-field="queued"]')).to_have_text("cpu 1 · cuda 0")


def test_run_page_shows_the_ray_worker_and_node(page, server, node):
    run = start_running(server)
    page.goto(f"{server.url}/runs/{run['id']}")
    worker = page.locator("#run-worker")
    expect(worker.locator('[data-field="executor"]')).to_have_text("ray")
    expect(worker.locator('[data-field="node"]')).to_have_text(node["id"][:8])
    expect(worker.locator('[data-field="node"]')).to_have_attribute("title", node["id"])
    expect(worker.locator('[data-field="host"]')).to_have_text(node["host"])
    expect(worker.locator('[data-field="worker-device"]')).to_have_text("cpu")
    expect(worker.locator('[data-field="threads"]')).to_have_text(
        f"torch {run['worker']['threads']} · BLAS {run['worker']['blas_threads']}"
    )
    screenshot(page, "run-page-ray-worker")


def test_run_page_shows_the_worker_when_a_queued_run_starts(page, server, node):
    first, *_ = busy_cluster(server, node)
    waiting = server.api("POST", "/api/runs", json=LONG).json()
    page.goto(f"{server.url}/runs/{waiting['id']}")
    executor = page.locator('#run-worker [data-field="executor"]')
    expect(executor).to_have_text("—")
    server.api("POST", f"/api/runs/{first['id']}/cancel")  # its CPU goes to the waiting run
    expect(executor).to_have_text("ray")


def test_form_offers_cuda_when_a_node_has_a_gpu(page, server):
    page.add_init_script(add_device_script(RAY_GPU))
    open_dashboard(page, server.url)
    page.select_option("#f-variant", "autograd")
    expect(page.locator('#f-device option[value="cuda"]')).to_have_count(1)
    page.select_option("#f-variant", "numpy")  # NumPy runs on the CPU only
    expect(page.locator('#f-device option[value="cuda"]')).to_have_count(0)


@pytest.mark.parametrize("width", [1280, 390])
def test_dashboard_with_the_cluster_card_fits_the_width(page, server, node, width):
    page.set_viewport_size(PHONE if width == 390 else {"width": width, "height": 900})
    open_dashboard(page, server.url)
    run = start_running(server)
    expect(node_row(page, node).locator(f'a[href="/runs/{run["id"]}"]')).to_be_visible()
    screenshot(page, f"dashboard-cluster-{width}")
    assert no_sideways_scroll(page)


def test_run_page_fits_a_phone(page, server):
    page.set_viewport_size(PHONE)
    run = start_running(server)
    page.goto(f"{server.url}/runs/{run['id']}")
    expect(page.locator('#run-worker [data-field="executor"]')).to_have_text("ray")
    screenshot(page, "run-page-ray-worker-390")
    assert no_sideways_scroll(page)
