"""A browser's request to /api/ that another site's page made (a link, a form, an image) is
refused before it starts anything; the dashboard's own requests and scripts pass."""

from __future__ import annotations

import pytest

from tests.helpers import TINY, wait_status

NAVIGATE = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}


@pytest.fixture
def run_id(client) -> int:
    run = client.post("/api/runs", json={"variant": "numpy", "iterations": 5, **TINY}).json()
    return wait_status(client, run["id"])["id"]


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
@pytest.mark.parametrize("path", ["/api/runs/{}/export?format=csv", "/api/runs/{}/losses"])
def test_another_sites_link_to_the_api_is_refused(client, run_id, site, path):
    response = client.get(path.format(run_id), headers={"Sec-Fetch-Site": site, **NAVIGATE})
    assert response.status_code == 403
    assert f"Sec-Fetch-Site: {site}" in response.json()["detail"]


@pytest.mark.parametrize("site", ["same-origin", "none"])
def test_this_sites_pages_and_typed_urls_reach_the_api(client, run_id, site):
    response = client.get(f"/api/runs/{run_id}/export", headers={"Sec-Fetch-Site": site})
    assert response.status_code == 200


def test_another_sites_link_to_a_page_still_opens_it(client):
    assert client.get("/", headers={"Sec-Fetch-Site": "cross-site", **NAVIGATE}).status_code == 200
