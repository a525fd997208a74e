"""Every answer, /docs and refusals included, forbids framing and sniffing, and keeps its URL
from other sites (Referrer-Policy: same-origin)."""

from __future__ import annotations

import pytest

PATHS = ["/", "/runs/1", "/docs", "/docs/oauth2-redirect", "/openapi.json", "/api/runs",
         "/api/runs/999", "/healthz", "/static/css/lossboard.css", "/metrics"]  # fmt: skip


def assert_guarded(headers) -> None:
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("path", PATHS)
def test_every_answer_forbids_framing_and_sniffing(client, path):
    assert_guarded(client.get(path).headers)


def test_a_page_keeps_its_own_fuller_policy(client):
    policy = client.get("/").headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_refusals_forbid_framing_too(token_client):
    assert_guarded(token_client.get("/docs").headers)  # 401: the login form
    assert_guarded(token_client.get("/", headers={"Host": "evil.example"}).headers)  # 400
