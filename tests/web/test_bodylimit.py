"""Request bodies are bounded before they are read: the token first (401 for any body, unread),
then the size (413 by Content-Length, unread, or as a chunked body passes the limit)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from server.settings import Settings
from server.web.app import create_app
from tests.helpers import TEST_HOSTS, TINY, TOKEN

GOOD = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
LIMIT = 4096


class ReadCounter:
    """The app, counting the body messages it takes from the server."""

    def __init__(self, app) -> None:
        self.app, self.reads = app, 0

    async def __call__(self, scope, receive, send) -> None:
        async def counted():
            message = await receive()
            self.reads += message["type"] == "http.request"
            return message

        await self.app(scope, counted, send)


@pytest.fixture
def counter(tmp_path) -> Iterator[tuple[TestClient, ReadCounter]]:
    settings = Settings(data_dir=tmp_path, token=TOKEN, max_body_bytes=LIMIT,
                        playground_prestart=False, allowed_hosts=TEST_HOSTS)  # fmt: skip
    app = ReadCounter(create_app(settings))
    with TestClient(app) as client:
        yield client, app


def chunks(size: int) -> Iterator[bytes]:
    """`size` bytes sent chunked, without a Content-Length."""
    for start in range(0, size, 1024):
        yield b" " * min(1024, size - start)


def padded(body: dict, size: int) -> bytes:
    """`body` as JSON, padded with whitespace to exactly `size` bytes."""
    text = json.dumps(body).encode()
    return text + b" " * (size - len(text))


RUN = {"variant": "numpy", "iterations": 1, **TINY}


@pytest.mark.parametrize("size", [10, LIMIT + 1, 50 * 2**20])
def test_no_token_gets_401_for_any_body_without_reading_it(counter, size):
    client, app = counter
    response = client.post("/api/runs", content=b"x" * size)
    assert response.status_code == 401
    assert app.reads == 0


def test_no_token_gets_401_for_a_chunked_body_without_reading_it(counter):
    client, app = counter
    assert client.post("/api/playground/eval", content=chunks(10 * LIMIT)).status_code == 401
    assert app.reads == 0


@pytest.mark.parametrize("path", ["/api/runs", "/api/playground/eval", "/api/runs/1/cancel"])
def test_body_over_the_limit_by_content_length_gets_413_unread(counter, path):
    client, app = counter
    response = client.post(path, content=padded(RUN, LIMIT + 1), headers=GOOD)
    assert response.status_code == 413
    assert response.json()["detail"] == (
        f"the request body is over the limit of {LIMIT} bytes (LOSSBOARD_MAX_BODY_BYTES)"
    )
    assert app.reads == 0


def test_chunked_body_over_the_limit_gets_413(counter):
    client, _ = counter
    response = client.post("/api/runs", content=chunks(LIMIT + 1), headers=GOOD)
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 413
    assert str(LIMIT) in response.json()["detail"]


def test_body_at_the_limit_is_read(counter):
    client, _ = counter
    response = client.post("/api/runs", content=padded(RUN, LIMIT), headers=GOOD)
    assert response.status_code == 201, response.text


def test_chunked_body_at_the_limit_is_read(counter):
    client, _ = counter
    body = padded(RUN, LIMIT)
    response = client.post("/api/runs", content=iter([body[:100], body[100:]]), headers=GOOD)
    assert response.status_code == 201, response.text


def test_limit_defaults_to_a_mebibyte_and_reads_its_environment_variable(monkeypatch):
    monkeypatch.delenv("LOSSBOARD_MAX_BODY_BYTES", raising=False)
    assert Settings().max_body_bytes == 2**20
    monkeypatch.setenv("LOSSBOARD_MAX_BODY_BYTES", "12345")
    assert Settings().max_body_bytes == 12345
