"""Wrong tokens from one client address: past LOSSBOARD_MAX_TOKEN_FAILURES a minute, that
address gets 429 with a Retry-After, whatever it sends; other addresses are not held."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from server.web.app import create_app
from server.web.attempts import Attempts
from tests.helpers import TOKEN, app_settings

WRONG = {"Authorization": "Bearer not-the-token-0123456789"}
RIGHT = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def app(tmp_path):
    return create_app(app_settings(tmp_path, token=TOKEN, max_token_failures=3))


def client_at(app, address: str) -> TestClient:
    return TestClient(app, client=(address, 50000), follow_redirects=False)


@pytest.fixture
def guesser(app) -> Iterator[TestClient]:
    with client_at(app, "192.0.2.7") as client:
        yield client


def test_wrong_tokens_past_the_limit_get_429_with_retry_after(guesser):
    assert [guesser.get("/api/runs", headers=WRONG).status_code for _ in range(3)] == [401] * 3
    refused = guesser.get("/api/runs", headers=RIGHT)  # even the right one: no oracle
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "LOSSBOARD_MAX_TOKEN_FAILURES" in refused.json()["detail"]


def test_wrong_page_logins_count_too(guesser):
    for _ in range(3):
        assert guesser.get("/?token=not-the-token-0123456789").status_code == 401
    assert guesser.get(f"/?token={TOKEN}").status_code == 429


def test_another_address_and_missing_tokens_are_not_held(app, guesser):
    for _ in range(3):
        guesser.get("/api/runs", headers=WRONG)
    with client_at(app, "192.0.2.8") as other:
        assert other.get("/api/runs", headers=RIGHT).status_code == 200
        assert [other.get("/api/runs").status_code for _ in range(5)] == [401] * 5
        assert other.get("/api/runs", headers=RIGHT).status_code == 200


def test_failures_leave_the_window():
    attempts = Attempts(limit=2, window_s=0.0)  # every failure is already outside the window
    attempts.failed("a")
    attempts.failed("a")
    assert attempts.retry_after("a") is None
