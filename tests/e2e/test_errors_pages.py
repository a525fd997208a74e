"""In a browser, every error at a page's address is a styled page with the right status."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import expect

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def tab(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.mark.parametrize(
    ("path", "status", "title"),
    [
        ("/runs/abc", 422, "Bad address"),
        ("/nope", 404, "Page not found"),
        ("/sweeps/abc", 422, "Bad address"),
        ("/compare?ids=x", 400, "Bad run list"),
        ("/runs/9999", 404, "Run not found"),
    ],
)
def test_error_page_is_styled(tab, server, path, status, title):
    response = tab.goto(server.url + path)
    assert response.status == status
    expect(tab.locator(".error-card h1")).to_have_text(title)
    radius = tab.locator(".error-card").evaluate("e => getComputedStyle(e).borderTopLeftRadius")
    assert radius == "10px"  # the stylesheet loaded: not the browser's raw JSON view
    expect(tab.get_by_role("link", name="Back to the runs")).to_be_visible()
