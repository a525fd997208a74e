"""At a phone's width (390×844) no page scrolls sideways: cards stack, and tables scroll inside
their own box; the run page's numbers sit below its chart, not over it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import expect, serve

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}
TOKEN = "phone-width-token-0123456789"
PAGES = ["dashboard", "run", "compare", "playground", "sweep", "error", "docs"]


@pytest.fixture(scope="module")
def phone(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def page_width(tab) -> int:
    return tab.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("name", PAGES)
def test_page_fits_a_phone(phone, server, site, name):
    phone.goto(server.url + site[name])
    phone.wait_for_load_state("networkidle")
    assert page_width(phone) <= PHONE["width"]


def test_dark_dashboard_fits_a_phone(browser, server, site):
    context = browser.new_context(viewport=PHONE, color_scheme="dark")
    tab = context.new_page()
    tab.goto(server.url + site["dashboard"])
    expect(tab.locator("#runs-body tr").first).to_be_visible()
    assert page_width(tab) <= PHONE["width"]
    context.close()


def test_login_page_fits_a_phone(phone, tmp_path_factory):
    with serve(tmp_path_factory.mktemp("phone-token"), "--token", TOKEN) as url:
        response = phone.goto(url + "/")
        assert response.status == 401
        expect(phone.locator("#login-token")).to_be_visible()
        assert page_width(phone) <= PHONE["width"]


def test_run_numbers_sit_below_the_chart(phone, server, site):
    phone.goto(server.url + site["run"])
    chart = phone.locator("#chart").bounding_box()
    numbers = phone.locator("aside.side").bounding_box()
    assert chart["width"] >= PHONE["width"] - 60
    assert numbers["y"] >= chart["y"] + chart["height"]


def test_runs_table_scrolls_in_its_own_box(phone, server, site):
    phone.goto(server.url + site["dashboard"])
    expect(phone.locator("#runs-body tr").first).to_be_visible()
    box = phone.locator("#runs").evaluate("t => getComputedStyle(t.parentElement).overflowX")
    assert box == "auto"
