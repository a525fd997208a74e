"""POST /api/runs names a size over the cap in the same 422 as the body's other errors."""

from __future__ import annotations

HUGE = {"N": 100_000_000, "D_in": 1000, "H": 100, "D_out": 10}


def fields(response) -> list[str]:
    assert response.status_code == 422
    return [str(error["loc"][-1]) for error in response.json()["detail"]]


def test_size_over_cap_named_beside_other_wrong_fields(client):
    body = {"variant": "autograd", "iterations": 0, "learning_rate": -1, **HUGE}
    response = client.post("/api/runs", json=body)
    assert fields(response) == ["iterations", "learning_rate", "N"]
    assert "over the cap" in response.json()["detail"][2]["msg"]


def test_size_over_cap_named_when_variant_is_unknown(client):
    assert fields(client.post("/api/runs", json={"variant": "nope", **HUGE})) == ["variant", "N"]


def test_size_over_cap_alone_is_refused_once(client):
    assert fields(client.post("/api/runs", json={"variant": "autograd", **HUGE})) == ["N"]


def test_sizes_that_fit_add_no_error(client):
    assert fields(client.post("/api/runs", json={"variant": "autograd", "iterations": 0})) == [
        "iterations"
    ]


def test_invalid_size_is_named_once_without_a_cap_error(client):
    body = {"variant": "autograd", "iterations": 0, "N": "many", "D_in": 10**9}
    assert fields(client.post("/api/runs", json=body)) == ["iterations", "N"]


def test_body_that_is_not_an_object_gets_only_its_own_error(client):
    assert fields(client.post("/api/runs", json=[1, 2])) == ["body"]


def test_fit_points_over_cap_named_beside_other_wrong_fields(client):
    body = {"variant": "poly_tensors", "learning_rate": -1, "points": 10**12}
    assert fields(client.post("/api/runs", json=body)) == ["learning_rate", "points"]
