"""Hostile clients against a real `lossboard serve`: a huge head, a head that never ends, and
more connections than the server takes. None needs a token, so none may stall the server."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from tests.helpers import ServerProcess, wait_for

pytestmark = pytest.mark.e2e
MB = 2**20
HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ServerProcess]:
    limits = {"LOSSBOARD_HEAD_TIMEOUT_S": "1", "LOSSBOARD_MAX_CONNECTIONS": "6"}
    with ServerProcess(tmp_path_factory.mktemp("hostile"), env=limits) as server:
        yield server


def open_socket(server: ServerProcess) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def send_huge_header(server: ServerProcess, size: int) -> bytes:
    """Send a head with one `size`-byte header, then read the answer; the server may cut in."""
    with open_socket(server) as sock:
        try:
            sock.sendall(HEAD + b"X-Big: ")
            for _ in range(size // MB):
                sock.sendall(b"a" * MB)
            sock.sendall(b"\r\n\r\n")
        except OSError:  # refused mid-way: the answer is already in our receive buffer
            pass
        return sock.recv(4096)


def test_real_server_refuses_a_huge_header_before_reading_it(server):
    before = server.rss_bytes()
    answer = send_huge_header(server, 64 * MB)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:100]
    assert server.rss_bytes() - before < 16 * MB
    assert server.get("/healthz").status_code == 200


def test_real_server_answers_a_header_under_the_cap(server):
    answer = send_huge_header(server, 0)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:100]


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """True if the server closes the socket within `seconds` (reading whatever it sent)."""
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


def test_real_server_closes_a_head_that_does_not_arrive(server):
    with open_socket(server) as sock:
        sock.sendall(HEAD)  # ...and never the blank line that ends it
        assert closed_within(sock, 8)


def test_real_server_closes_a_silent_connection(server):
    with open_socket(server) as sock:
        assert closed_within(sock, 8)


def test_real_server_closes_a_late_second_head_on_a_kept_alive_connection(server):
    with open_socket(server) as sock:
        sock.sendall(HEAD + b"\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        sock.sendall(HEAD[:10])
        assert closed_within(sock, 8)


def test_real_server_answers_503_past_max_connections_and_recovers(server):
    wait_for(lambda: server.get("/healthz").status_code == 200)  # earlier tests' sockets gone
    idle = [open_socket(server) for _ in range(6)]
    try:
        response = httpx.get(f"{server.url}/healthz", timeout=5)
        assert response.status_code == 503
        assert "LOSSBOARD_MAX_CONNECTIONS" in response.text
    finally:
        for sock in idle:
            sock.close()
    wait_for(lambda: server.get("/healthz").status_code == 200, timeout=5)
