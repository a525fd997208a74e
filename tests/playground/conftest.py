"""Fixtures: one warm sandbox pool for the whole session and an app that serves the route."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.playground.sandbox import SandboxPool
from server.web.errors import add_handlers
from server.web.metrics import Metrics
from server.web.routes.playground import router

# A short wall-clock limit keeps the CPU-bomb cases quick; the tutorial's cells take ~10 ms.
TIMEOUT_S = 2.0


def make_app(pool: SandboxPool) -> FastAPI:
    """An app with only the playground route (and the metrics it counts evals in, and the
    handlers that answer its refusals), on the pool."""
    app = FastAPI()
    add_handlers(app)
    app.include_router(router)
    app.state.playground = pool
    app.state.metrics = Metrics()
    return app


@pytest.fixture(scope="session")
def playground_pool() -> Iterator[SandboxPool]:
    with SandboxPool(workers=2, timeout_s=TIMEOUT_S) as pool:
        yield pool


@pytest.fixture(scope="session")
def client(playground_pool: SandboxPool) -> Iterator[TestClient]:
    with TestClient(make_app(playground_pool)) as client:
        yield client


def post(client: TestClient, code: str) -> Any:
    """POST a snippet to the playground."""
    return client.post("/api/playground/eval", json={"code": code})


def run(client: TestClient, code: str) -> dict[str, Any]:
    """Evaluate a snippet that must succeed; return the answer."""
    response = post(client, code)
    assert response.status_code == 200, response.text
    return response.json()


def values(client: TestClient, code: str) -> list[dict[str, Any]]:
    """Evaluate a snippet and return its outputs' values in order."""
    return [output["value"] for output in run(client, code)["outputs"]]
