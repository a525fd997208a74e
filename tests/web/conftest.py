"""An in-process app on a temporary data dir, with and without a token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.helpers import app_client

TOKEN = "s3cret-token-for-the-web-tests"


@pytest.fixture
def client(tmp_path) -> Iterator[TestClient]:
    with app_client(tmp_path) as client:
        yield client


@pytest.fixture
def token_client(tmp_path) -> Iterator[TestClient]:
    with app_client(tmp_path, token=TOKEN) as client:
        yield client
