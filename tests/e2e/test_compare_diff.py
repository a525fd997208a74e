"""The compare page in a real browser: what differs between the runs, their names, its title,
and its header once every run has finished."""

from __future__ import annotations

import pytest

from tests.e2e.chartruns import chart_server, falling
from tests.e2e.conftest import expect, screenshot
from tests.helpers import TINY

pytestmark = pytest.mark.e2e
STEPS = 200


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    loss = falling(STEPS, 10.0, 0.1)
    runs = [("tensors", None, loss), ("autograd", "baseline", loss * 2)]
    with chart_server(tmp_path_factory.mktemp("compare"), runs) as served:
        yield served


def field_rows(page):
    return page.locator("#compare-config tbody tr[data-field-name]")


def test_compare_config_shows_only_differences_by_default(page, compared):
    url, ids = compared
    page.goto(f"{url}/compare?ids={ids[0]},{ids[1]}")

    shown = field_rows(page).filter(visible=True)
    expect(shown).to_have_count(1)
    expect(shown.first).to_have_attribute("data-field-name", "variant")
    expect(shown.first).to_contain_text("tensors")
    expect(shown.first).to_contain_text("autograd")
    screenshot(page, "compare-differences")


def test_compare_config_shows_every_field_when_asked(page, compared):
    url, ids = compared
    page.goto(f"{url}/compare?ids={ids[0]},{ids[1]}")
    page.locator("#only-diff").uncheck()

    expect(page.locator('#compare-config tr[data-field-name="learning_rate"]')).to_be_visible()
    assert field_rows(page).filter(visible=True).count() == field_rows(page).count() > 5
    page.reload()  # the choice is in the URL
    expect(page.locator("#only-diff")).not_to_be_checked()


def test_compare_legend_uses_a_run_name(page, compared):
    url, ids = compared
    page.goto(f"{url}/compare?ids={ids[0]},{ids[1]}")

    legend = page.locator("#chart .u-legend")
    expect(legend).to_contain_text(f"#{ids[1]} baseline")
    expect(legend).to_contain_text(f"#{ids[0]} tensors")


def test_compare_of_one_run_twice_is_titled_for_one_run(page, compared):
    url, ids = compared
    page.goto(f"{url}/compare?ids={ids[0]},{ids[0]}")

    expect(page).to_have_title("Compare 1 run · lossboard")
    expect(page.locator("h1")).to_have_text("Compare 1 run")
    expect(page.locator("#compare-runs tbody tr")).to_have_count(1)


def test_compare_header_says_done_once_every_run_finished(page, server):
    body = {"variant": "tensors", "iterations": 2000, **TINY}
    ids = [server.api("POST", "/api/runs", json=body).json()["id"] for _ in range(2)]
    page.goto(f"{server.url}/compare?ids={ids[0]},{ids[1]}")

    statuses = page.locator('#compare-runs [data-field="status"]')
    for i in range(2):
        expect(statuses.nth(i)).to_have_text("completed", timeout=60_000)
    expect(page.locator("#live-indicator .live-text")).to_have_text("done")
