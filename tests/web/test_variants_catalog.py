"""/api/variants by tutorial, and the size fields each variant takes or refuses."""

from __future__ import annotations

import pytest

POLY = ["poly_numpy", "poly_tensors", "poly_autograd", "poly_function", "poly_nn",
        "poly_optim", "poly_module", "poly_dynamic"]  # fmt: skip


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    from tests.helpers import app_client

    with app_client(tmp_path_factory.mktemp("catalog")) as client:
        yield client, {v["id"]: v for v in client.get("/api/variants").json()}


def test_variants_name_their_tutorial(catalog):
    _, variants = catalog
    assert [v for v in variants if variants[v]["tutorial"] == "polynomial fit"] == POLY
    two_layer = [v for v in variants if variants[v]["tutorial"] == "two-layer network"]
    assert two_layer[-2:] == ["custom_function", "dynamic"] and len(two_layer) == 8


def test_variants_in_translation_are_the_six(catalog):
    _, variants = catalog
    six = ["numpy", "tensors", "autograd", "nn", "optim", "custom_module"]
    assert [v for v in variants if variants[v]["in_translation"]] == six


def test_variants_default_iterations_are_their_own(catalog):
    _, variants = catalog
    iterations = {v: variants[v]["defaults"]["iterations"] for v in variants}
    assert iterations["dynamic"] == 500 and iterations["poly_nn"] == 2000
    assert iterations["poly_dynamic"] == 30_000


def test_variants_fields_are_their_knobs(catalog):
    _, variants = catalog
    assert (
        "points" in variants["poly_optim"]["fields"] and "H" not in variants["poly_optim"]["fields"]
    )
    assert "H" in variants["dynamic"]["fields"] and "points" not in variants["dynamic"]["fields"]
    assert variants["poly_optim"]["defaults"]["points"] == 2000
    assert "N" not in variants["poly_optim"]["defaults"]


@pytest.mark.parametrize("field", ["N", "D_in", "H", "D_out"])
def test_poly_variant_refuses_size_field(catalog, field):
    client, _ = catalog
    response = client.post("/api/runs", json={"variant": "poly_nn", field: 8})
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", field] and "poly_nn" in error["msg"]


def test_two_layer_variant_refuses_points(catalog):
    client, _ = catalog
    response = client.post("/api/runs", json={"variant": "dynamic", "points": 50})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "points"]


def test_poly_run_takes_points_and_its_own_iterations(catalog):
    client, _ = catalog
    spec = {"variant": "poly_dynamic", "device": "cpu", "points": 100}
    run = client.post("/api/runs", json=spec).json()
    client.post(f"/api/runs/{run['id']}/cancel")
    assert run["config"]["points"] == 100 and run["config"]["iterations"] == 30_000
    assert "H" not in run["config"]  # a config lists only the sizes its variant takes


def test_poly_points_past_the_size_cap_refused(catalog):
    client, _ = catalog
    response = client.post("/api/runs", json={"variant": "poly_nn", "points": 10**12})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "points"]
