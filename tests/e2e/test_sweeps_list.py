"""The /sweeps page pages through every sweep, sorts and filters them, and keeps its view in
the URL; a sweep's runs link back to it from their page and the runs table."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import expect

pytestmark = pytest.mark.e2e
TINY = {"N": 8, "D_in": 16, "H": 16, "D_out": 1}


@pytest.fixture(scope="module")
def thirty(server) -> list[int]:
    """30 one-run sweeps more on the server, finished."""
    ids = []
    for i in range(30):
        body = {"name": f"list {i}", "variant": "numpy",
                "params": {"learning_rate": {"values": [1e-6]}},
                "base": {"iterations": 2, **TINY}}  # fmt: skip
        ids.append(server.api("POST", "/api/sweeps", json=body).json()["id"])
    return ids


def test_sweeps_page_pages_through_thirty_sweeps(page, server, thirty):
    total = server.get("/api/sweeps?limit=1").json()["total"]
    page.goto(f"{server.url}/")
    page.click("#all-sweeps")
    expect(page.locator("#sweeps-table tr.sweep-row")).to_have_count(20)
    expect(page.locator("#sweeps-table tr.sweep-row").first).to_have_attribute(
        "data-id", str(max(thirty))
    )
    seen = set()
    pages = (total + 19) // 20
    for n in range(pages):
        expect(page.locator("#page-of")).to_have_text(f"page {n + 1} of {pages}")
        seen.update(page.locator("#sweeps-table tr.sweep-row").evaluate_all(
            "rows => rows.map(r => Number(r.dataset.id))"))  # fmt: skip
        if n < pages - 1:
            page.click("#next-page")
    assert set(thirty) <= seen and len(seen) == total
    assert f"page={pages}" in page.url
    page.reload()
    expect(page.locator("#page-of")).to_have_text(f"page {pages} of {pages}")


def test_sweeps_page_sorts_and_filters(page, server, thirty):
    page.goto(f"{server.url}/sweeps?method=tpe")
    expect(page.locator("#filter-method")).to_have_value("tpe")
    tpe = [s for s in server.get("/api/sweeps?limit=1000").json()["sweeps"]
           if s["spec"]["method"] == "tpe"]  # fmt: skip
    expect(page.locator("#sweeps-table tr.sweep-row")).to_have_count(min(len(tpe), 20))
    page.select_option("#filter-method", "")
    page.click('#sweeps-table button.sort[data-key="id"]')  # oldest first now
    first = page.locator("#sweeps-table tr.sweep-row").first
    expect(first).to_have_attribute("data-id", "1")
    assert "sort=id" in page.url


def test_a_sweeps_run_links_back_to_it(page, server, thirty):
    sweep = server.get(f"/api/sweeps/{thirty[0]}").json()
    run_id = sweep["run_ids"][0]
    page.goto(f"{server.url}/runs/{run_id}")
    expect(page.locator("#run-sweep")).to_have_attribute("href", f"/sweeps/{thirty[0]}")
    page.goto(f"{server.url}/?sweep={thirty[0]}")
    rows = page.locator("#runs tr.run-row")
    expect(rows).to_have_count(1)
    link = rows.first.locator('[data-field="sweep-link"]')
    expect(link).to_have_attribute("href", f"/sweeps/{thirty[0]}")
    expect(page.locator('#runs-filters input[name="sweep"]')).to_have_value(str(thirty[0]))
