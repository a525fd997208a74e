"""Keyboard use: a skip link first in the tab order, and a visible focus ring on every stop."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import expect

pytestmark = pytest.mark.e2e
OUTLINE_JS = """() => {
  const style = getComputedStyle(document.activeElement);
  return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
}"""


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("name", ["dashboard", "run", "playground", "error"])
def test_skip_link_is_the_first_stop_and_jumps_to_main(tab, server, site, name):
    tab.goto(server.url + site[name])
    tab.keyboard.press("Tab")
    skip = tab.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    assert skip.bounding_box()["y"] >= 0  # shown once focused
    tab.keyboard.press("Enter")
    expect(tab.locator("main#page")).to_be_focused()


def test_every_header_stop_shows_a_focus_ring(tab, server):
    tab.goto(server.url + "/")
    for _ in range(6):  # skip link, brand, three links, the theme toggle
        tab.keyboard.press("Tab")
        assert tab.evaluate(OUTLINE_JS), tab.evaluate("document.activeElement.outerHTML")
    expect(tab.locator("#theme-toggle")).to_be_focused()


def test_theme_toggle_works_from_the_keyboard(tab, server):
    tab.goto(server.url + "/")
    before = tab.locator("html").get_attribute("data-theme")
    tab.locator("#theme-toggle").focus()
    tab.keyboard.press("Enter")
    expect(tab.locator("html")).not_to_have_attribute("data-theme", before)
