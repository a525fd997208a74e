"""`--insecure` says so at start, and a server without a token still answers only this
machine's Host names wherever it is bound, unless LOSSBOARD_ALLOWED_HOSTS says otherwise."""

from __future__ import annotations

import socket

import pytest

from server.settings import Settings
from tests.helpers import ServerProcess, app_client

pytestmark = pytest.mark.e2e
OPEN = {"host": "0.0.0.0", "insecure": True, "allowed_hosts": None}  # settings only: not served


def test_insecure_server_logs_a_warning_at_start(tmp_path):
    with ServerProcess(tmp_path / "data", "--insecure") as server:
        text = server.log.read_text()  # written before uvicorn starts, so before /healthz
    assert "lossboard: warning: --insecure: no token" in text
    assert "Host names answered: localhost, 127.0.0.1" in text


def test_open_server_without_a_token_refuses_another_sites_host(tmp_path):
    with app_client(tmp_path, **OPEN) as client:
        assert client.get("/api/runs", headers={"Host": "rebound.example"}).status_code == 400
        assert client.get("/api/runs", headers={"Host": "localhost:8000"}).status_code == 200
        own = {"Host": socket.gethostname()}
        assert client.get("/api/runs", headers=own).status_code == 200


def test_allowed_hosts_star_answers_any_host(tmp_path):
    with app_client(tmp_path, **(OPEN | {"allowed_hosts": ["*"]})) as client:
        assert client.get("/api/runs", headers={"Host": "rebound.example"}).status_code == 200


def test_open_server_with_a_token_answers_any_host():
    assert Settings(host="0.0.0.0", token="t" * 8 + "u" * 8).trusted_hosts() is None
