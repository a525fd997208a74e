"""The token guard and the body limit against a real `lossboard serve` subprocess: its memory
when sent 50 MB bodies, and its log after tokens were put in URLs."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.helpers import ServerProcess, wait_for

pytestmark = pytest.mark.e2e
TOKEN = "guarded-server-token-0123"
GOOD = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
MB = 2**20
BIG = 50 * MB


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ServerProcess]:
    with ServerProcess(tmp_path_factory.mktemp("guarded"), "--token", TOKEN) as server:
        yield server


def chunks(size: int) -> Iterator[bytes]:
    """`size` bytes of JSON whitespace, sent chunked (no Content-Length)."""
    for _ in range(size // (64 * 1024)):
        yield b" " * (64 * 1024)


BODIES = {"content-length": lambda: b" " * BIG, "chunked": lambda: chunks(BIG)}


@pytest.mark.parametrize("kind", BODIES)
def test_real_server_refuses_a_50mb_body_with_413_and_stays_small(server, kind):
    before = server.rss_bytes()
    body = BODIES[kind]()
    response = httpx.post(f"{server.url}/api/runs", content=body, headers=GOOD, timeout=60)
    assert response.status_code == 413
    assert "LOSSBOARD_MAX_BODY_BYTES" in response.json()["detail"]
    assert server.rss_bytes() - before < BIG
    assert server.get("/healthz").status_code == 200


@pytest.mark.parametrize("kind", BODIES)
def test_real_server_without_token_answers_a_50mb_body_401(server, kind):
    before = server.rss_bytes()
    response = httpx.post(f"{server.url}/api/runs", content=BODIES[kind](), timeout=60)
    assert response.status_code == 401
    assert server.rss_bytes() - before < BIG


def test_real_server_log_hides_a_token_under_a_percent_encoded_key_or_value(server):
    login = httpx.get(f"{server.url}/runs/2?%74oken={TOKEN}")
    assert login.status_code == 303  # the app decodes the key: this is a login
    encoded = "".join(f"%{byte:02X}" for byte in TOKEN.encode())
    assert httpx.get(f"{server.url}/api/runs?x={encoded}").status_code == 401

    def logged() -> str | None:
        text = server.log.read_text()
        return text if '"GET /api/runs?x=[redacted] HTTP/1.1" 401' in text else None

    text = wait_for(logged)
    assert '"GET /runs/2?%74oken=[redacted] HTTP/1.1" 303' in text
    assert TOKEN not in text and encoded not in text


def test_real_server_log_holds_neither_the_token_nor_the_cookie(server):
    login = httpx.get(f"{server.url}/runs/1?token={TOKEN}&view=x")
    assert login.status_code == 303 and login.cookies  # the cookie was sent, and used:
    assert httpx.get(f"{server.url}/api/runs", cookies=login.cookies).status_code == 200
    assert httpx.get(f"{server.url}/api/runs?token={TOKEN}").status_code == 401
    assert httpx.get(f"{server.url}/?token=a-wrong-guess-0123456").status_code == 401
    with connect(f"{server.ws_url}/ws/runs?token={TOKEN}") as ws, pytest.raises(ConnectionClosed):
        ws.recv(timeout=10)
    assert ws.close_code == 4401

    def logged() -> str | None:
        text = server.log.read_text()
        return text if '"WebSocket /ws/runs?token=[redacted]"' in text else None

    text = wait_for(logged)
    assert '"GET /runs/1?token=[redacted]&view=x HTTP/1.1" 303' in text
    assert '"GET /api/runs?token=[redacted] HTTP/1.1" 401' in text
    assert TOKEN not in text and "a-wrong-guess" not in text
    assert login.cookies[next(iter(login.cookies))] not in text


def test_real_server_login_cookie_is_secure_behind_a_local_https_proxy(server):
    proxied = {"X-Forwarded-Proto": "https"}
    login = httpx.get(f"{server.url}/?token={TOKEN}", headers=proxied)
    assert login.status_code == 303
    assert "secure" in login.headers["set-cookie"].lower().split("; ")
    assert "secure" not in httpx.get(f"{server.url}/?token={TOKEN}").headers["set-cookie"].lower()


def test_real_server_given_a_token_file_keeps_the_token_out_of_ps(tmp_path):
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    with ServerProcess(tmp_path / "data", "--token-file", str(path)) as server:
        cmdline = (Path("/proc") / str(server.proc.pid) / "cmdline").read_bytes()
        assert TOKEN.encode() not in cmdline and b"--token-file" in cmdline
        assert httpx.get(f"{server.url}/api/runs").status_code == 401
        assert httpx.get(f"{server.url}/api/runs", headers=GOOD).status_code == 200
        cli = [
            sys.executable,
            "-m",
            "server",
            "runs",
            "--url",
            server.url,
            "--token-file",
            str(path),
        ]
        assert subprocess.run(cli, capture_output=True, timeout=60).returncode == 0
