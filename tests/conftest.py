"""Shared fixtures: a real SQLite store and a run manager on it; the in-process app client (with
and without a token, per test or per module); and the two real servers of the CLI tests."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from server.training.manager import RunManager

# Ray's token auth, one token, for every Ray these tests start or join (as the README asks of
# every cluster). Set before anything imports ray: a process reads its auth mode once, and a
# cluster started later with another mode refuses that process.
os.environ.setdefault("RAY_AUTH_MODE", "token")
os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(16))
from server.store.sqlite import Store
from tests.cli.support import LOSSBOARD, Server, clean_env, image_cmd, serving
from tests.cli.support import TOKEN as CLI_TOKEN
from tests.helpers import TOKEN, app_client, free_port


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    store = Store(tmp_path)
    store.open()
    yield store
    store.close()


@pytest.fixture
def make_manager(store) -> Iterator[Callable[..., RunManager]]:
    managers: list[RunManager] = []

    def make(**kwargs) -> RunManager:
        manager = RunManager(store, **kwargs)
        manager.start()
        managers.append(manager)
        return manager

    yield make
    for manager in managers:
        manager.close()


@pytest.fixture
def manager(make_manager) -> RunManager:
    return make_manager()


@pytest.fixture
def client(tmp_path) -> Iterator[TestClient]:
    """The app in-process on a fresh data directory, open (no token)."""
    with app_client(tmp_path) as client:
        yield client


@pytest.fixture(scope="module")
def shared_client(tmp_path_factory) -> Iterator[TestClient]:
    """One open app for a whole module, for tests that only read or add what they check."""
    with app_client(tmp_path_factory.mktemp("data")) as client:
        yield client


@pytest.fixture
def token_client(tmp_path) -> Iterator[TestClient]:
    """The app in-process with TOKEN required."""
    with app_client(tmp_path, token=TOKEN) as client:
        yield client


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[Server]:
    """A real `lossboard serve` on loopback, open."""
    data, port = tmp_path_factory.mktemp("open"), free_port()
    command = [*LOSSBOARD, "serve", "--port", str(port), "--data-dir", str(data)]
    with serving(command, port, clean_env(LOSSBOARD_LOG_LEVEL="warning"), data) as server:
        yield server


@pytest.fixture(scope="session")
def token_server(tmp_path_factory) -> Iterator[Server]:
    """The Docker image's CMD line with a token (what `docker run -e LOSSBOARD_TOKEN=...`
    starts)."""
    data, port = tmp_path_factory.mktemp("image"), free_port()
    env = clean_env(
        LOSSBOARD_TOKEN=CLI_TOKEN, LOSSBOARD_PORT=str(port), LOSSBOARD_LOG_LEVEL="warning"
    )
    with serving(image_cmd(data), port, env, data, CLI_TOKEN) as server:
        yield server
