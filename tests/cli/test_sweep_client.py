"""The sweep socket carries the token in a header, never in its URL (where logs would keep it)."""

from __future__ import annotations

from contextlib import contextmanager

from server.cli import client as client_module
from server.cli.client import Client


def test_follow_sweep_sends_the_token_as_a_bearer_header(monkeypatch):
    seen: dict = {}

    @contextmanager
    def connect(url, additional_headers, **options):
        seen.update(url=url, headers=additional_headers)
        yield iter(['{"type": "sweep"}'])

    monkeypatch.setattr(client_module, "connect", connect)
    client = Client("https://example.org/lb/", token="t0k")
    try:
        assert list(client.follow_sweep(4)) == [{"type": "sweep"}]
    finally:
        client.close()
    assert seen == {
        "url": "wss://example.org/lb/ws/sweeps/4",
        "headers": {"Authorization": "Bearer t0k"},
    }
