"""Browser tests may skip on a laptop without Chromium, never in CI."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import unavailable


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_missing_browser_fails_in_ci(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        unavailable("no chromium")


@pytest.mark.parametrize("value", [None, "", "false"])
def test_missing_browser_skips_outside_ci(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception):
        unavailable("no chromium")
