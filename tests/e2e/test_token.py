"""With a token configured, a page opened as ?token=T can do everything; without, it says why."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import SMALL, expect, open_dashboard, row, screenshot, serve, submit_form

pytestmark = pytest.mark.e2e
TOKEN = "e2e-secret-token"


@pytest.fixture(scope="module")
def token_url(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("token-data"), "--token", TOKEN) as url:
        yield url


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def test_token_in_url_authorizes_requests_and_sockets(tab, token_url):
    open_dashboard(tab, token_url, f"?token={TOKEN}")
    assert TOKEN not in tab.url  # kept in sessionStorage, taken out of the address bar
    expect(tab.locator("#live-indicator")).to_have_attribute("data-state", "live")
    tab.select_option("#f-variant", "tensors")
    tab.fill("#f-iterations", "50")
    for name, value in SMALL.items():
        tab.fill(f"#f-{name}", value)
    run_id = submit_form(tab)
    expect(row(tab, run_id).locator('[data-field="count"]')).to_have_text("50 / 50")

    tab.goto(f"{token_url}/runs/{run_id}")  # same tab: the token is still in sessionStorage
    expect(tab.locator("#chart")).to_have_attribute("data-points", "50")
    expect(tab.locator("#banner")).to_be_hidden()


def test_without_token_the_page_says_how_to_give_one(tab, token_url):
    tab.goto(token_url + "/")
    expect(tab.locator("#banner")).to_contain_text("needs a token")
    tab.click("#start-run")
    expect(tab.locator('[data-error-for="_form"]')).to_contain_text("a valid token is required")
    screenshot(tab, "dashboard-token-missing")
