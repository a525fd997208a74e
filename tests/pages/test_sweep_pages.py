"""The sweep page, the dashboard's recent sweeps and compare's grouping, in-process."""

from __future__ import annotations

import pytest

from tests.helpers import TINY, wait_for
from tests.pages.test_pages import EVIL, assert_escaped, page_data

SWEEP = {
    "name": EVIL, "variant": "numpy", "params": {"learning_rate": {"values": [1e-5, 1e-4]}},
    "seeds": 2, "base": {"iterations": 3, "seed": 5, **TINY},
}  # fmt: skip


@pytest.fixture
def sweep(client) -> dict:
    response = client.post("/api/sweeps", json=SWEEP)
    assert response.status_code == 201
    path = f"/api/sweeps/{response.json()['id']}"

    def finished() -> dict | None:
        found = client.get(path).json()
        return found if found["status"] == "completed" else None

    result = wait_for(finished)
    assert isinstance(result, dict)
    return result


def test_sweep_page_carries_the_sweep_and_its_runs(client, sweep):
    data = page_data(client, f"/sweeps/{sweep['id']}")
    assert data["sweep"]["id"] == sweep["id"]
    assert [run["id"] for run in data["runs"]] == sweep["run_ids"]
    assert data["runs"][0]["sweep_params"] == {"learning_rate": 1e-5}


def test_sweep_page_escapes_the_name(client, sweep):
    assert_escaped(client.get(f"/sweeps/{sweep['id']}").text)


def test_sweep_page_of_unknown_sweep_is_404(client):
    response = client.get("/sweeps/12345")
    assert response.status_code == 404
    assert "There is no sweep 12345" in response.text


def test_dashboard_lists_recent_sweeps(client, sweep):
    html = client.get("/").text
    assert f'<a href="/sweeps/{sweep["id"]}">#{sweep["id"]}</a>' in html
    assert "4 completed" in html
    assert_escaped(html)


def test_compare_refuses_unknown_grouping(client):
    response = client.get("/compare?ids=1&group=variant")
    assert response.status_code == 400
    assert "&#39;group&#39; should be empty or &#39;config&#39;" in response.text


def test_compare_carries_grouping_to_its_script(client):
    data = page_data(client, "/compare?ids=1&group=config&band=std")
    assert (data["group"], data["band"]) == ("config", "std")
