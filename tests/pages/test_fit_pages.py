"""The pages of issue 16, in-process: a polynomial fit's run page has its fit card, a two-layer
run's has none, and the run form holds a field for each variant's own knobs."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from server.training import registry
from tests.helpers import TINY, app_client, wait_finished


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator[TestClient]:
    with app_client(tmp_path_factory.mktemp("fit-pages")) as client:
        yield client


def started(client: TestClient, body: dict) -> int:
    response = client.post("/api/runs", json={**body, "iterations": 3})
    assert response.status_code == 201, response.text
    return wait_finished(client.app.state.manager, response.json()["id"])["id"]


@pytest.mark.parametrize(
    ("variant", "fit"), [("poly_function", "legendre"), ("poly_dynamic", "quintic")]
)
def test_fit_run_page_has_fit_card_naming_its_curve(client, variant, fit):
    html = client.get(f"/runs/{started(client, {'variant': variant})}").text
    assert re.search(rf'<section class="card fit-card" id="fit-card" data-fit="{fit}"', html)
    assert '<input type="range" id="fit-step"' in html


def test_two_layer_run_page_has_no_fit_card(client):
    html = client.get(f"/runs/{started(client, {'variant': 'tensors', **TINY})}").text
    assert 'id="chart"' in html
    assert "fit-card" not in html


def test_run_form_has_a_field_for_every_variants_field(client):
    html = client.get("/").text
    offered = {name for v in registry.variants() for name in v.fields()}
    missing = [name for name in offered if f'name="{name}"' not in html]
    assert missing == []
