"""A plugin variant in the run form, in Chromium: its integer, float, choice and boolean fields
drawn from their JSON schema, a run started with them, and a 422 shown beside the field it
names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import expect, open_dashboard, submit_form
from tests.helpers import ServerProcess, wait_status

pytestmark = pytest.mark.e2e
TOY = Path(__file__).resolve().parents[1] / "toy_variants.py"


@pytest.fixture(scope="module")
def plugin_url(tmp_path_factory) -> Iterator[str]:
    env = {"OMP_NUM_THREADS": "1", "LOSSBOARD_LOG_LEVEL": "warning", "LOSSBOARD_VARIANTS": str(TOY)}
    with ServerProcess(tmp_path_factory.mktemp("plugin-form"), env=env) as process:
        yield process.url


@pytest.fixture
def tab(browser) -> Iterator:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(30_000)
    yield page
    context.close()
    assert errors == []


def choose_toy(page, url: str) -> None:
    open_dashboard(page, url)
    page.select_option("#f-variant", "toy")
    expect(page.locator("#own-fields")).to_be_visible()


def test_form_draws_each_kind_of_field_from_the_schema(tab, plugin_url):
    choose_toy(tab, plugin_url)
    expect(tab.locator("#f-own-width")).to_have_value("4")
    expect(tab.locator("#f-own-width")).to_have_attribute("inputmode", "numeric")
    expect(tab.locator("#f-own-rate")).to_have_value("0.5")
    expect(tab.locator("#f-own-rate")).to_have_attribute("inputmode", "decimal")
    expect(tab.locator("#f-own-shape option")).to_have_text(["flat", "steep"])
    expect(tab.locator("#f-own-noisy")).to_have_attribute("type", "checkbox")
    expect(tab.locator("#f-own-noisy")).not_to_be_checked()
    expect(tab.locator("label[for=f-own-width]")).to_have_text("Width")
    for tutorial_field in ("learning_rate", "dtype", "N", "points"):
        expect(tab.locator(f"#f-{tutorial_field}")).to_be_hidden()
    tab.select_option("#f-variant", "tensors")  # back to the tutorial's: the group goes
    expect(tab.locator("#own-fields")).to_be_hidden()
    expect(tab.locator("#f-N")).to_be_visible()


def test_form_starts_a_run_with_the_fields_as_set(tab, plugin_url):
    choose_toy(tab, plugin_url)
    tab.fill("#f-iterations", "12")
    tab.fill("#f-own-width", "9")
    tab.fill("#f-own-rate", "0.25")
    tab.select_option("#f-own-shape", label="steep")
    tab.check("#f-own-noisy")
    run_id = submit_form(tab)
    with httpx.Client(base_url=plugin_url) as client:
        run = wait_status(client, run_id)
    assert run["status"] == "completed", run["error"]
    config = run["config"]
    assert (config["width"], config["rate"], config["shape"], config["noisy"]) == (
        9, 0.25, "steep", True)  # fmt: skip
    assert config["iterations"] == 12 and "learning_rate" not in config


def test_form_shows_a_422_beside_the_field_it_names(tab, plugin_url):
    choose_toy(tab, plugin_url)
    tab.fill("#f-own-width", "0")
    tab.fill("#f-own-rate", "fast")
    tab.click("#start-run")
    expect(tab.locator("#e-own-width")).to_contain_text("greater than or equal to 1")
    expect(tab.locator("#e-own-rate")).to_contain_text("valid number")
    expect(tab.locator("#f-own-width")).to_have_attribute("aria-invalid", "true")
    expect(tab.locator("[data-error-for=_form]")).to_have_text("")


def test_run_page_draws_the_loops_other_series(tab, plugin_url):
    body = {"variant": "toy", "iterations": 40, "width": 3}
    run = httpx.post(plugin_url + "/api/runs", json=body).json()
    with httpx.Client(base_url=plugin_url) as client:
        assert wait_status(client, run["id"])["status"] == "completed"
    tab.goto(f"{plugin_url}/runs/{run['id']}")
    expect(tab.locator("#chart")).to_have_attribute("data-points", "40")
    acc = tab.locator('.series-chart[data-series="acc"] .chart')
    expect(acc).to_have_attribute("data-points", "40")
