"""An in-process app on a temporary data dir, with and without a token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import app_client

TOKEN = "s3cret-token"


@pytest.fixture
def client(tmp_path) -> Iterator[TestClient]:
    with app_client(tmp_path) as client:
        yield client


@pytest.fixture
def token_client(tmp_path) -> Iterator[TestClient]:
    with app_client(tmp_path, token=TOKEN) as client:
        yield client


def wait_status(client: TestClient, run_id: int, statuses: tuple[str, ...], timeout=60.0) -> dict:
    """Poll GET /api/runs/{id} until its status is one of `statuses`."""
    from tests.conftest import wait_for

    def check():
        run = client.get(f"/api/runs/{run_id}").json()
        return run if run["status"] in statuses else None

    return wait_for(check, timeout)


FINISHED = ("completed", "cancelled", "failed", "diverged", "interrupted")
