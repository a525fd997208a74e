"""With a token configured, a page opened as ?token=T logs the browser in by a cookie and drops
the token from the URL; the pages then start and follow runs, and never hold the token."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import SMALL, expect, open_dashboard, row, screenshot, serve, submit_form

pytestmark = pytest.mark.e2e
TOKEN = "e2e-secret-token-0123456789"


@pytest.fixture(scope="module")
def token_url(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("token-data"), "--token", TOKEN) as url:
        yield url


def new_tab(browser):
    """A tab in a browser context of its own: no cookie until it logs in."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


tab = pytest.fixture(new_tab)
stranger = pytest.fixture(new_tab)  # a second browser, beside `tab`


def storage(tab) -> str:
    """Everything the page's localStorage and sessionStorage hold, as one string."""
    return tab.evaluate("JSON.stringify([{...localStorage}, {...sessionStorage}])")


def test_login_url_leads_to_the_same_page_without_the_token(tab, token_url):
    response = tab.goto(f"{token_url}/runs/1?token={TOKEN}&view=x")
    assert tab.url == f"{token_url}/runs/1?view=x"
    assert response.request.redirected_from.url.endswith(f"?token={TOKEN}&view=x")
    assert TOKEN not in tab.content() and TOKEN not in storage(tab)


def test_logged_in_pages_start_and_stream_runs(tab, token_url):
    open_dashboard(tab, token_url, f"?token={TOKEN}")
    assert tab.url == token_url + "/"
    expect(tab.locator("#live-indicator")).to_have_attribute("data-state", "live")
    tab.select_option("#f-variant", "tensors")
    tab.fill("#f-iterations", "50")
    for name, value in SMALL.items():
        tab.fill(f"#f-{name}", value)
    run_id = submit_form(tab)
    expect(row(tab, run_id).locator('[data-field="count"]')).to_have_text("50 / 50")

    tab.goto(f"{token_url}/runs/{run_id}")  # by the cookie alone
    expect(tab.locator("#chart")).to_have_attribute("data-points", "50")
    expect(tab.locator("#banner")).to_be_hidden()
    assert TOKEN not in tab.content() and TOKEN not in storage(tab)


def test_second_browser_without_the_cookie_gets_401_from_the_api(tab, stranger, token_url):
    tab.goto(f"{token_url}/?token={TOKEN}")
    assert tab.evaluate("fetch('/api/runs').then((response) => response.status)") == 200
    stranger.goto(token_url + "/healthz")  # same origin, no cookie
    status = stranger.evaluate("fetch('/api/runs').then((response) => response.status)")
    assert status == 401


def test_without_the_cookie_a_page_is_the_login_form_which_logs_in(stranger, token_url):
    response = stranger.goto(f"{token_url}/compare?ids=1")
    assert response.status == 401
    expect(stranger.locator("h1")).to_have_text("This server needs its token")
    screenshot(stranger, "login-form")
    stranger.fill("#login-token", TOKEN)
    stranger.click("button[type=submit]")
    expect(stranger.locator("#chart")).to_be_attached()
    assert stranger.url == f"{token_url}/compare?ids=1"


def test_wrong_token_is_taken_out_of_the_url(stranger, token_url):
    stranger.goto(f"{token_url}/compare?ids=1")
    stranger.fill("#login-token", "not-the-token")
    stranger.click("button[type=submit]")
    expect(stranger.locator(".login-problem")).to_have_text("That is not this server's token.")
    expect(stranger).to_have_url(f"{token_url}/compare?ids=1")


def test_lost_cookie_shows_a_banner_linking_to_the_login(tab, token_url):
    open_dashboard(tab, token_url, f"?token={TOKEN}")
    tab.context.clear_cookies()
    tab.click("#start-run")
    expect(tab.locator("#banner")).to_contain_text("This server needs its token")
    expect(tab.locator("#banner a")).to_have_attribute("href", "/")
    screenshot(tab, "dashboard-login-needed")


def test_log_out_button_ends_the_session(tab, token_url):
    open_dashboard(tab, token_url, f"?token={TOKEN}")
    kept = tab.context.cookies()
    tab.click("form.logout button")
    expect(tab.locator("h1")).to_have_text("This server needs its token")
    tab.context.add_cookies(kept)  # a copy taken before: the server ended its session
    assert tab.evaluate("fetch('/api/runs').then((response) => response.status)") == 401
