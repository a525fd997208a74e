"""Who may call: with a token set, every route but /healthz and /static/ needs it, from the
bearer header (or the login cookie, tests/web/test_cookie.py), never from ?token=; a loopback
bind answers only loopback Host names; other sites' pages may not write."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from server.settings import Settings
from server.web.app import create_app
from tests.helpers import TINY, TOKEN, wait_status

GOOD = {"Authorization": f"Bearer {TOKEN}"}
BAD_HEADERS = [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
               {"Authorization": f"Basic {TOKEN}"}, {"Authorization": "Bearer "},
               {"Authorization": "Bearer    "},
               {"Authorization": f"Bearer {TOKEN[:-1]}"}]  # fmt: skip
READS = ["/api/runs", "/api/runs/1", "/api/runs/1/losses", "/api/runs/1/export", "/api/system",
         "/api/variants", "/", "/runs/1", "/compare?ids=1", "/playground", "/docs",
         "/docs/oauth2-redirect", "/openapi.json", "/logout"]  # fmt: skip
RUN = {"variant": "numpy", "iterations": 5, **TINY}


@pytest.mark.parametrize("headers", BAD_HEADERS)
def test_mutating_routes_refuse_missing_or_wrong_token(token_client, headers):
    assert token_client.post("/api/runs", json=RUN, headers=headers).status_code == 401
    run = token_client.post("/api/runs", json=RUN, headers=GOOD).json()
    for method, path in (("post", f"/api/runs/{run['id']}/cancel"),
                         ("delete", f"/api/runs/{run['id']}")):  # fmt: skip
        response = token_client.request(method, path, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    assert token_client.get("/api/runs", headers=GOOD).json()["total"] == 1  # nothing else written


def test_right_token_is_accepted_everywhere(token_client):
    token_client.headers.update(GOOD)
    run = token_client.post("/api/runs", json=RUN)
    assert run.status_code == 201
    run_id = run.json()["id"]
    assert token_client.post(f"/api/runs/{run_id}/cancel").status_code == 202
    wait_status(token_client, run_id)
    assert token_client.delete(f"/api/runs/{run_id}").status_code == 204


@pytest.mark.parametrize("path", READS)
@pytest.mark.parametrize("headers", BAD_HEADERS)
def test_reads_refuse_missing_or_wrong_token(token_client, path, headers):
    response = token_client.get(path, headers=headers, follow_redirects=False)
    assert response.status_code == 401
    assert response.json()["detail"].startswith("a valid token is required")


@pytest.mark.parametrize("path", ["/api/runs", "/api/system", "/docs", "/openapi.json"])
def test_reads_accept_the_bearer_header(token_client, path):
    assert token_client.get(path, headers=GOOD).status_code == 200


def test_healthz_and_static_files_need_no_token(token_client):
    assert token_client.get("/healthz").json()["status"] == "ok"
    assert token_client.get("/static/css/lossboard.css").status_code == 200


def test_route_added_later_is_guarded_by_default(token_client):
    token_client.app.add_api_route("/metrics", lambda: {"lossboard_runs_total": 0})
    assert token_client.get("/metrics").status_code == 401
    assert token_client.get("/metrics", headers=GOOD).status_code == 200


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_token_in_an_api_url_is_refused_naming_the_header(token_client, method):
    response = token_client.request(method, f"/api/runs/1?token={TOKEN}", headers=GOOD)
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/ws/runs", "/ws/runs/1", "/ws/runs/1?token=wrong"])
def test_websockets_refuse_missing_or_wrong_token_with_4401(token_client, path):
    with token_client.websocket_connect(path) as ws, pytest.raises(WebSocketDisconnect) as e:
        ws.receive_json()
    assert e.value.code == 4401


def test_websocket_refuses_the_right_token_in_its_url_naming_the_header(token_client):
    run = token_client.post("/api/runs", json=RUN, headers=GOOD).json()
    path = f"/ws/runs/{run['id']}?token={TOKEN}"
    with token_client.websocket_connect(path) as ws, pytest.raises(WebSocketDisconnect) as e:
        ws.receive_json()
    assert e.value.code == 4401 and "Authorization: Bearer" in e.value.reason


def test_websocket_accepts_the_bearer_header(token_client):
    run = token_client.post("/api/runs", json=RUN, headers=GOOD).json()
    with token_client.websocket_connect(f"/ws/runs/{run['id']}", headers=GOOD) as ws:
        assert ws.receive_json()["type"] == "run"


def test_playground_refuses_missing_or_wrong_token(token_client):
    cell = {"code": "torch.ones(2)"}
    for headers in BAD_HEADERS:
        assert (
            token_client.post("/api/playground/eval", json=cell, headers=headers).status_code == 401
        )
    answer = token_client.post("/api/playground/eval", json=cell, headers=GOOD)
    assert answer.status_code == 200 and answer.json()["outputs"][0]["value"]["type"] == "tensor"


def test_other_hosts_are_refused_on_a_loopback_bind(tmp_path):
    settings = Settings(data_dir=tmp_path, playground_prestart=False)  # host 127.0.0.1
    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        assert client.get("/api/runs").status_code == 200
        rebound = client.post("/api/runs", json={"variant": "numpy", **TINY},
                              headers={"host": "attacker.example:8000"})  # fmt: skip
        assert rebound.status_code == 400
        assert client.get("/api/runs").json()["total"] == 0


def test_other_sites_pages_cannot_write(client):
    run = client.post("/api/runs", json={**RUN, "iterations": 10**7}).json()
    evil = {"origin": "http://evil.example"}
    assert client.post(f"/api/runs/{run['id']}/cancel", headers=evil).status_code == 403
    assert client.post("/api/runs", json=RUN, headers=evil).status_code == 403
    same = {"origin": "http://testserver"}
    assert client.post(f"/api/runs/{run['id']}/cancel", headers=same).status_code == 202
    wait_status(client, run["id"])


def test_other_sites_pages_cannot_open_sockets(client):
    evil = {"origin": "http://evil.example"}
    with (
        client.websocket_connect("/ws/runs", headers=evil) as ws,
        pytest.raises(WebSocketDisconnect) as closed,
    ):
        ws.receive_json()
    assert closed.value.code == 4403
