"""Screenshots of every page at a desktop's and a phone's size, light and dark, written to
tests/e2e/screenshots/ for a person to look at; each page draws with no error on the way."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import expect, screenshot, serve

pytestmark = pytest.mark.e2e
SIZES = {"1400": {"width": 1400, "height": 900}, "390": {"width": 390, "height": 844}}
TOKEN = "screenshot-token-0123456789"
# what each page has drawn once its JS has run
DRAWN = {
    "dashboard": "#runs-body tr",
    "run": "#chart canvas",
    "compare": "#chart canvas",
    "playground": "#cell-picker option",
    "sweep": "#points tbody tr",
    "error": ".error-card",
    "docs": ".opblock",
}


@pytest.fixture(
    scope="module", params=[(size, theme) for size in SIZES for theme in ("light", "dark")]
)
def tab(request, browser):
    size, theme = request.param
    context = browser.new_context(viewport=SIZES[size], color_scheme=theme)
    tab = context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    tab.suffix = f"{size}-{theme}"
    yield tab
    context.close()


@pytest.fixture(scope="module")
def token_url(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("screenshot-token"), "--token", TOKEN) as url:
        yield url


@pytest.mark.parametrize("name", DRAWN)
def test_screenshot_of_page(tab, server, site, name):
    tab.goto(server.url + site[name])
    expect(tab.locator(DRAWN[name]).first).to_be_attached()
    tab.wait_for_load_state("networkidle")
    assert screenshot(tab, f"{name}-{tab.suffix}").stat().st_size > 0
    assert tab.errors == []


def test_screenshot_of_login_page(tab, token_url):
    tab.goto(token_url + "/")
    expect(tab.locator("#login-token")).to_be_visible()
    assert screenshot(tab, f"login-{tab.suffix}").stat().st_size > 0
