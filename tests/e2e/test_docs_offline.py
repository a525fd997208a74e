"""The API docs page draws from this host alone: Swagger UI is vendored."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import expect

pytestmark = pytest.mark.e2e


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def hosts_asked(tab, server, path: str) -> set[str]:
    """The hosts of every request the page makes while it opens and draws."""
    hosts: set[str] = set()
    tab.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    tab.goto(server.url + path)
    return hosts


def test_swagger_ui_draws_every_operation_from_this_host(tab, server):
    hosts = hosts_asked(tab, server, "/docs")
    expect(tab.locator(".opblock-summary-path").first).to_be_visible()
    paths = tab.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/runs" in paths and "/api/runs/{run_id}" in paths
    tab.wait_for_load_state("networkidle")
    assert hosts == {urlsplit(server.url).netloc}
