"""Two real servers for the whole CLI folder: one open on loopback, one with a token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cli.support import LOSSBOARD, Server, clean_env, free_port, serving

TOKEN = "s3cret-cli-token"


def start(tmp_path_factory, name: str, *flags: str, token: str | None = None) -> Iterator[Server]:
    data = tmp_path_factory.mktemp(name)
    port = free_port()
    command = [*LOSSBOARD, "serve", "--port", str(port), "--data-dir", str(data), *flags]
    env = clean_env(LOSSBOARD_LOG_LEVEL="warning")
    with serving(command, port, env, data / "server.log", token) as server:
        yield server


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[Server]:
    yield from start(tmp_path_factory, "open")


@pytest.fixture(scope="session")
def token_server(tmp_path_factory) -> Iterator[Server]:
    yield from start(tmp_path_factory, "token", "--token", TOKEN, token=TOKEN)
