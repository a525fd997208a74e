"""Shared fixtures: a real SQLite store in a temporary directory and a run manager on it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator

import pytest

from server.training.manager import RunManager

# Ray's token auth, one token, for every Ray these tests start or join (as the README asks of
# every cluster). Set before anything imports ray: a process reads its auth mode once, and a
# cluster started later with another mode refuses that process.
os.environ.setdefault("RAY_AUTH_MODE", "token")
os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(16))
from server.training.store import Store


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
