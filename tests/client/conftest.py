"""A real lossboard server for the client's tests, and the client's state reset between them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import lossboard
from tests.helpers import ServerProcess


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ServerProcess]:
    with ServerProcess(tmp_path_factory.mktemp("server")) as server:
        yield server


@pytest.fixture(autouse=True)
def client_env(monkeypatch, tmp_path) -> Iterator[None]:
    """No LOSSBOARD_* from the shell; spool and offline runs in the test's directory."""
    for name in ("LOSSBOARD_URL", "LOSSBOARD_TOKEN", "LOSSBOARD_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LOSSBOARD_DIR", str(tmp_path / "runs"))
    yield
    if lossboard.current is not None and lossboard.current._ended is None:
        lossboard.current.finish(timeout=10)
    lossboard.current = None
