"""No input gives a 500: each request that once did now gets a 4xx naming its field."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from server.protocol import MAX_INTEGER, CloseCode
from server.web.app import create_app
from tests.helpers import app_settings
from tests.web.stored import store_run

FIELDS = ["variant", "device", "iterations", "learning_rate", "optimizer", "seed", "N", "D_in",
          "H", "D_out", "dtype", "name"]  # fmt: skip
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """An app that answers a server error with a 500, as a real server does, not by raising."""
    settings = app_settings(tmp_path_factory.mktemp("data"))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def finished(client) -> int:
    return store_run(client.app.state.manager.store, steps=10)


def field_refused(response, field: str) -> bool:
    locs = [error["loc"] for error in response.json()["detail"]]
    return response.status_code == 422 and ["body", field] in locs


def test_offset_past_sqlite_is_422(client):
    response = client.get("/api/runs", params={"offset": 2**63})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "offset"]


def test_losses_after_the_last_integer_is_an_empty_page(client, finished):
    response = client.get(f"/api/runs/{finished}/losses", params={"after": MAX_INTEGER})
    assert response.status_code == 200
    assert response.json()["step"] == [] and response.json()["next_after"] is None


def test_websocket_after_the_last_integer_sends_the_run_and_closes_done(client, finished):
    with client.websocket_connect(f"/ws/runs/{finished}?after={MAX_INTEGER}") as ws:
        first, last = ws.receive_json(), ws.receive_json()
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert first["type"] == last["type"] == "run" and closed.value.code == CloseCode.DONE


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e309"])
@pytest.mark.parametrize("field", FIELDS)
def test_non_finite_number_in_any_field_is_422(client, field, value):
    body = '{"variant": "tensors", "%s": %s}' % (field, value)  # noqa: UP031
    assert field_refused(client.post("/api/runs", content=body, headers=JSON), field)


@pytest.mark.parametrize("value", ["NaN", "1e309"])
def test_non_finite_number_as_playground_code_is_422(client, value):
    response = client.post("/api/playground/eval", content='{"code": %s}' % value, headers=JSON)  # noqa: UP031
    assert field_refused(response, "code")


def test_size_of_4001_digits_is_422_naming_it(client):
    body = '{"variant": "tensors", "N": %s}' % ("9" * 4001)
    response = client.post("/api/runs", content=body, headers=JSON)
    assert field_refused(response, "N")
    assert "9223372036854775807" in response.json()["detail"][0]["msg"]


def test_lone_surrogate_in_name_is_422(client):
    body = '{"variant": "tensors", "name": "\\ud800"}'
    response = client.post("/api/runs", content=body, headers=JSON)
    assert field_refused(response, "name")
    assert response.json()["detail"][0]["input"] == "\\ud800"


def test_lone_surrogate_in_device_is_422_naming_device(client):
    body = '{"variant": "tensors", "device": "cpu\\udfff"}'
    assert field_refused(client.post("/api/runs", content=body, headers=JSON), "device")


def refusal(client, path: str) -> WebSocketDisconnect:
    """How the server closes a websocket to `path` before sending anything."""
    with client.websocket_connect(path) as ws, pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    return closed.value


@pytest.mark.parametrize("query", ["after=-2", f"after={2**63}", "after=soon"])
def test_websocket_bad_after_closes_invalid_naming_it(client, finished, query):
    closed = refusal(client, f"/ws/runs/{finished}?{query}")
    assert closed.code == CloseCode.INVALID and closed.reason.startswith("after: ")


@pytest.mark.parametrize("run_id", ["abc", "-1", str(2**63)])
def test_websocket_bad_run_id_closes_invalid_naming_it(client, run_id):
    closed = refusal(client, f"/ws/runs/{run_id}")
    assert closed.code == CloseCode.INVALID and closed.reason.startswith("run_id: ")
