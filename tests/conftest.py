"""Shared fixtures: a real SQLite store in a temporary directory and a run manager on it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from server.settings import Settings
from server.training.manager import RunManager
from server.training.store import Store
from server.web.app import create_app

# Bound to loopback, the app answers only loopback Host names; TestClient says "testserver".
TEST_HOSTS = ["testserver"]


@contextmanager
def app_client(data_dir, **settings) -> Iterator[TestClient]:
    """An in-process app on its own data dir; the sandbox warms only if a test evaluates."""
    options = {"playground_prestart": False, "allowed_hosts": TEST_HOSTS, **settings}
    with TestClient(create_app(Settings(data_dir=data_dir, **options))) as client:
        yield client


# Tiny sizes: fast runs for tests that are about the engine, not the numbers.
TINY = {"N": 8, "D_in": 16, "H": 16, "D_out": 1}


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


def wait_for(predicate: Callable[[], object], timeout: float = 30.0) -> object:
    """Poll until predicate() is truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.005)
    raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")


def wait_finished(manager: RunManager, run_id: int, timeout: float = 60.0) -> dict:
    """Wait until the run has ended and its final state is stored; return it."""
    finished = ("completed", "cancelled", "failed", "diverged", "interrupted")

    def done() -> dict | None:
        run = manager.get(run_id)
        return run if run["status"] in finished and manager.live_run(run_id) is None else None

    return wait_for(done, timeout)
