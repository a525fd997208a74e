"""The dashboard in a real browser against a real server: start, watch, cancel, compare."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import (
    SMALL,
    add_device_script,
    api_calls,
    expect,
    open_dashboard,
    row,
    run_all_compared,
    screenshot,
    submit_form,
)

pytestmark = pytest.mark.e2e
EVIL = "<script>alert(1)</script>"
TWO_LAYER = ["numpy", "tensors", "autograd", "nn", "optim", "custom_module", "custom_function",
             "dynamic"]  # fmt: skip
GPU = {"id": "cuda:0", "kind": "cuda", "name": "NVIDIA H100", "memory_total": 80 * 2**30}


def test_dashboard_asks_for_no_runs_variants_or_devices(page, server):
    calls = api_calls(page)
    open_dashboard(page, server.url)
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")
    expect(row(page, server.big_run_id)).to_be_visible()
    expect(page.locator("#f-variant option")).not_to_have_count(0)
    asked = [url for url in calls if re.search(r"/api/(runs\?|runs$|variants|system)", url)]
    assert asked == []  # the page came with them


def test_dashboard_rows_show_formatted_numbers_on_load(page, server):
    open_dashboard(page, server.url)
    big = row(page, server.big_run_id)
    expect(big.locator('[data-field="count"]')).to_have_text("1M / 1M")
    expect(big.locator('[data-field="duration"]')).to_have_text("3 min 20 s")
    expect(big.locator('[data-field="best"]')).to_have_text(re.compile(r"^\d\.\d{3}e-\d$"))


def test_run_page_asks_only_for_its_losses(page, server):
    calls = api_calls(page)
    page.goto(f"{server.url}/runs/{server.big_run_id}")
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "done")
    expect(page.locator("#source")).to_contain_text("def autograd")
    assert [url.split("?")[0] for url in calls] == [
        f"{server.url}/api/runs/{server.big_run_id}/losses"
    ]


def test_form_run_reaches_500_and_chart_holds_500_points(page, server):
    open_dashboard(page, server.url)
    page.select_option("#f-variant", "autograd")
    page.fill("#f-name", EVIL)
    run_id = submit_form(page)

    tr = row(page, run_id)
    expect(tr.locator('[data-field="count"]')).to_have_text("500 / 500", timeout=60_000)
    expect(tr.locator('[data-field="bar"]')).to_have_js_property("value", 500)
    expect(tr.locator('[data-field="status"]')).to_have_text("completed")
    expect(tr.locator('[data-field="name"]')).to_have_text(EVIL)  # shown as text, never run
    screenshot(page, "dashboard-run-completed")

    tr.locator('[data-field="link"]').click()
    page.wait_for_url(f"**/runs/{run_id}")
    chart = page.locator("#chart")
    expect(chart).to_have_attribute("data-points", "500")
    expect(page.locator("#run-title")).to_have_text(EVIL)
    expect(page.locator("#source")).to_contain_text("def autograd")
    screenshot(page, "run-page-500-steps")


def test_run_page_chart_controls(page, server):
    run = server.api("POST", "/api/runs", json={"variant": "tensors", "iterations": 300, **SMALL})
    run_id = run.json()["id"]
    page.goto(f"{server.url}/runs/{run_id}")
    chart = page.locator("#chart")
    expect(chart).to_have_attribute("data-points", "300", timeout=60_000)
    expect(page.locator("#run-numbers [data-field=status]")).to_have_text("completed")

    # hovering shows that step's loss in the legend
    over = page.locator("#chart .u-over")
    box = over.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    legend_loss = page.locator("#chart .u-legend .u-series").nth(1).locator(".u-value")
    expect(legend_loss).to_have_text(re.compile(r"^\d"))

    # drag to zoom, double-click to reset
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + 50)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + 60, steps=5)
    page.mouse.up()
    expect(chart).not_to_have_attribute("data-x-max", "299")
    assert float(chart.get_attribute("data-x-max")) < 200
    page.mouse.dblclick(box["x"] + box["width"] / 2, box["y"] + 50)
    expect(chart).to_have_attribute("data-x-max", "299")

    expect(chart).to_have_attribute("data-y-distr", "3")  # uPlot's log scale
    page.locator("#chart-controls label", has_text="linear").click()
    expect(chart).to_have_attribute("data-y-distr", "1")
    page.locator("#chart-controls label", has_text="seconds").click()
    expect(page.locator("#chart .u-legend")).to_contain_text("seconds")
    page.locator("#smoothing").fill("0.9")
    expect(page.locator("#chart .u-legend")).to_contain_text("EMA")
    expect(chart).to_have_attribute("data-points", "300")
    screenshot(page, "run-page-linear-seconds-smoothed")


def test_cancel_long_run_from_list(page, server):
    open_dashboard(page, server.url)
    page.select_option("#f-variant", "tensors")
    page.fill("#f-iterations", "1000000")
    run_id = submit_form(page)

    tr = row(page, run_id)
    expect(tr.locator('[data-field="status"]')).to_have_text("running")
    expect(tr.locator('[data-action="delete"]')).to_be_disabled()
    tr.locator('[data-action="cancel"]').click()
    expect(tr.locator('[data-field="status"]')).to_have_text("cancelled")
    expect(tr.locator('[data-action="delete"]')).to_be_enabled()
    assert server.api("GET", f"/api/runs/{run_id}").json()["status"] == "cancelled"
    screenshot(page, "dashboard-run-cancelled")

    tr.locator('[data-action="delete"]').click()
    page.click("#confirm-delete")  # it asks first
    expect(tr).to_have_count(0)
    assert server.api("GET", f"/api/runs/{run_id}").status_code == 404


def test_tick_runs_then_compare(page, server):
    small = {k: int(v) for k, v in SMALL.items()}
    run = server.api("POST", "/api/runs", json={"variant": "nn", "iterations": 100, **small})
    run_id = run.json()["id"]
    open_dashboard(page, server.url)
    expect(row(page, run_id).locator('[data-field="status"]')).to_have_text("completed")
    compare = page.locator("#compare-selected")
    expect(compare).to_be_disabled()
    row(page, run_id).locator(".pick-box").check()
    row(page, server.big_run_id).locator(".pick-box").check()
    expect(compare).to_have_text("Compare selected (2)")
    compare.click()
    page.wait_for_url(f"**/compare?ids={run_id},{server.big_run_id}")
    chart = page.locator("#chart")
    expect(chart).to_have_attribute("data-series", "2")
    expect(page.locator("#chart .u-legend .u-series")).to_have_count(3)
    expect(chart).to_have_attribute("data-points", re.compile(r"^\d{4}$"))  # both drawn
    points = int(chart.get_attribute("data-points"))
    assert 100 < points <= 100 + 2000  # the million-step run comes decimated


def test_run_all_two_layer_then_compare(page, server):
    open_dashboard(page, server.url)
    page.fill("#f-iterations", "200")
    page.fill("#f-seed", "1234")
    for name, value in SMALL.items():
        page.fill(f"#f-{name}", value)
    rows = run_all_compared(page, 8)
    chart = page.locator("#chart")
    expect(chart).to_have_attribute("data-series", "8")
    expect(chart).to_have_attribute("data-points", str(8 * 200))
    expect(page.locator("#chart .u-legend .u-series")).to_have_count(9)  # x, then eight runs
    variants = rows.locator(".variant").all_text_contents()
    assert sorted(variants) == sorted(TWO_LAYER)
    assert set(rows.locator("td:nth-child(7)").all_text_contents()) == {"1234"}  # one seed
    screenshot(page, "compare-all-two-layer")


def test_422_shown_next_to_its_field(page, server):
    open_dashboard(page, server.url)
    page.fill("#f-iterations", "0")
    page.click("#start-run")
    expect(page.locator("#e-iterations")).to_contain_text("greater than or equal to 1")
    expect(page.locator("#f-iterations")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#e-D_in")).to_be_empty()
    screenshot(page, "form-422-iterations")

    page.fill("#f-iterations", "500")
    page.fill("#f-D_in", "100000000")
    page.click("#start-run")
    expect(page.locator("#e-D_in")).to_contain_text("over the cap")
    expect(page.locator("#e-iterations")).to_be_empty()
    screenshot(page, "form-422-size-cap")


def test_size_cap_error_shown_with_the_other_fields_errors(page, server):
    open_dashboard(page, server.url)
    page.fill("#f-iterations", "0")
    page.fill("#f-learning_rate", "-1")
    page.fill("#f-N", "100000000")
    page.click("#start-run")
    expect(page.locator("#e-iterations")).to_contain_text("greater than or equal to 1")
    expect(page.locator("#e-learning_rate")).to_contain_text("greater than 0")
    expect(page.locator("#e-N")).to_contain_text("over the cap")
    expect(page.locator("#f-N")).to_have_attribute("aria-invalid", "true")


def test_form_follows_variant_defaults_and_lists_gpus(page, server):
    page.add_init_script(add_device_script(GPU))
    open_dashboard(page, server.url)

    page.select_option("#f-variant", "autograd")
    devices = page.locator("#f-device option").all_text_contents()
    assert "cuda:0 — NVIDIA H100, 80 GiB" in devices
    page.select_option("#f-variant", "numpy")  # NumPy runs on the CPU only
    assert not any(
        d.startswith("cuda") for d in page.locator("#f-device option").all_text_contents()
    )
    expect(page.locator("#f-dtype")).to_have_value("float64")
    expect(page.locator("#optimizer-slot")).to_be_hidden()

    page.select_option("#f-variant", "optim")
    expect(page.locator("#optimizer-slot")).to_be_visible()
    expect(page.locator("#f-optimizer")).to_have_value("sgd")
    expect(page.locator("#f-learning_rate")).to_have_value("0.000001")
    page.select_option("#f-optimizer", "adam")
    expect(page.locator("#f-learning_rate")).to_have_value("0.0001")
    expect(page.locator("#f-variant option[value=optim]")).to_have_text("optim — PyTorch: optim")
    screenshot(page, "form-optim-adam-with-gpu")
