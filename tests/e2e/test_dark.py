"""Dark mode: chosen by prefers-color-scheme before the first paint, and by the header's toggle,
which is kept across reloads in localStorage."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import expect

pytestmark = pytest.mark.e2e
DARK_BG = "rgb(15, 19, 26)"  # --bg under [data-theme="dark"]
LIGHT_BG = "rgb(245, 246, 248)"
# what <html data-theme> says as the page's first element is parsed: before any paint
THEME_AT_BODY = """document.addEventListener("readystatechange", () => {
  if (document.readyState === "interactive") window.themeAtParse = window.themeSeen;
});
new MutationObserver(() => {
  if (document.body && window.themeSeen === undefined)
    window.themeSeen = document.documentElement.dataset.theme ?? null;
}).observe(document, { childList: true, subtree: true });"""


@pytest.fixture
def tab_in(browser):
    contexts = []

    def open_tab(scheme: str):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
        contexts.append(context)
        return context.new_page()

    yield open_tab
    for context in contexts:
        context.close()


def background(tab) -> str:
    return tab.evaluate("getComputedStyle(document.body).backgroundColor")


def test_dark_scheme_gets_the_dark_theme(tab_in, server):
    tab = tab_in("dark")
    tab.goto(server.url + "/")
    expect(tab.locator("html")).to_have_attribute("data-theme", "dark")
    assert background(tab) == DARK_BG
    expect(tab.locator("#theme-toggle")).to_have_text("Theme: system")


def test_light_scheme_gets_the_light_theme(tab_in, server):
    tab = tab_in("light")
    tab.goto(server.url + "/playground")
    expect(tab.locator("html")).to_have_attribute("data-theme", "light")
    assert background(tab) == LIGHT_BG


def test_theme_is_set_before_the_body_is_parsed(tab_in, server):
    tab = tab_in("dark")
    tab.add_init_script(THEME_AT_BODY)
    tab.goto(server.url + "/")
    assert tab.evaluate("window.themeSeen") == "dark"


def test_toggle_persists_across_reload(tab_in, server, site):
    tab = tab_in("light")
    tab.goto(server.url + site["run"])
    tab.get_by_role("button", name="Theme: system").click()
    expect(tab.locator("html")).to_have_attribute("data-theme", "dark")
    assert tab.evaluate("localStorage.getItem('lossboard.theme')") == "dark"
    tab.reload()
    expect(tab.locator("html")).to_have_attribute("data-theme", "dark")
    assert background(tab) == DARK_BG


def test_toggle_goes_round_dark_light_and_back_to_the_system(tab_in, server):
    tab = tab_in("light")
    tab.goto(server.url + "/")
    toggle, html = tab.locator("#theme-toggle"), tab.locator("html")
    toggle.click()
    expect(toggle).to_have_text("Theme: dark")
    expect(html).to_have_attribute("data-theme", "dark")
    toggle.click()
    expect(toggle).to_have_text("Theme: light")
    expect(html).to_have_attribute("data-theme", "light")
    assert tab.evaluate("localStorage.getItem('lossboard.theme')") == "light"
    toggle.click()
    expect(toggle).to_have_text("Theme: system")
    assert tab.evaluate("localStorage.getItem('lossboard.theme')") is None
    tab.reload()
    expect(toggle).to_have_attribute("data-choice", "system")


def test_toggle_dispatches_themechange(tab_in, server):
    tab = tab_in("dark")
    tab.goto(server.url + "/")
    tab.evaluate("""window.changes = [];
      addEventListener("themechange", (e) => changes.push(e.detail.theme))""")
    tab.locator("#theme-toggle").click()
    assert tab.evaluate("window.changes") == ["light"]
    assert background(tab) == LIGHT_BG
