"""The pages of issue 16, in-process: a polynomial fit's run page has its fit card, a two-layer
run's has none, and the run form holds a field for each variant's own knobs."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from server.training import registry
from tests.helpers import TINY, wait_finished


def started(shared_client: TestClient, body: dict) -> int:
    response = shared_client.post("/api/runs", json={**body, "iterations": 3})
    assert response.status_code == 201, response.text
    return wait_finished(shared_client.app.state.manager, response.json()["id"])["id"]


@pytest.mark.parametrize(
    ("variant", "fit"), [("poly_function", "legendre"), ("poly_dynamic", "quintic")]
)
def test_fit_run_page_has_fit_card_naming_its_curve(shared_client, variant, fit):
    html = shared_client.get(f"/runs/{started(shared_client, {'variant': variant})}").text
    assert re.search(rf'<section class="card fit-card" id="fit-card" data-fit="{fit}"', html)
    assert '<input type="range" id="fit-step"' in html


def test_two_layer_run_page_has_no_fit_card(shared_client):
    html = shared_client.get(f"/runs/{started(shared_client, {'variant': 'tensors', **TINY})}").text
    assert 'id="chart"' in html
    assert "fit-card" not in html


def test_run_form_has_a_field_for_every_variants_field(shared_client):
    html = shared_client.get("/").text
    offered = {name for v in registry.variants() for name in v.fields()}
    missing = [name for name in offered if f'name="{name}"' not in html]
    assert missing == []
