"""Shared fixtures: a real SQLite store in a temporary directory and a run manager on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from server.training.manager import RunManager
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
