"""axe-core (vendored into the tests, never served) finds no serious or critical violation on
any page, in either theme: contrast, names, roles, focusable scroll boxes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import expect

pytestmark = pytest.mark.e2e
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PAGES = ["dashboard", "run", "compare", "playground", "sweep", "sweeps", "error"]
BLOCKING = {"serious", "critical"}
# what a page has drawn once its JS has run: the checks judge the page a person sees
DRAWN = {
    "dashboard": "#runs-body tr",
    "run": "#chart .u-over",
    "compare": "#chart .u-over",
    "playground": "#cell-picker option",
    "sweep": "#points tbody tr",
    "sweeps": "#sweeps-table tbody tr",
    "error": ".error-card",
}


@pytest.fixture(scope="module", params=["light", "dark"])
def tab(request, browser):
    # axe is injected as an inline script, which the pages' CSP rightly refuses
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, color_scheme=request.param, bypass_csp=True
    )
    yield context.new_page()
    context.close()


def violations(tab) -> list[str]:
    """Each serious or critical violation, as 'rule: target, target, ...'."""
    tab.add_script_tag(path=str(AXE))
    found = tab.evaluate("axe.run(document, { resultTypes: ['violations'] })")["violations"]
    return [
        f"{v['id']}: " + ", ".join(str(node["target"]) for node in v["nodes"])
        for v in found
        if v["impact"] in BLOCKING
    ]


def test_axe_finds_a_planted_violation(tab, server):
    tab.goto(server.url + "/playground")
    tab.evaluate("document.getElementById('run-code').textContent = ''")  # a nameless button
    assert any(v.startswith("button-name") for v in violations(tab))


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_serious_violations(tab, server, site, name):
    tab.goto(server.url + site[name])
    expect(tab.locator(DRAWN[name]).first).to_be_attached()
    assert violations(tab) == []
