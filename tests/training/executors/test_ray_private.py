"""The private Ray that `--executor ray` starts keeps its auth token in a 0600 file in the data
directory (not a 0644 one in ~/.ray)."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.training.executors.ray_tasks import RayExecutor


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("private-ray")


@pytest.fixture(scope="module")
def private_ray(data_dir) -> Iterator[RayExecutor]:
    """One private Ray for the module: Ray's C++ side keeps the first token it loads."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(data_dir / "home"))  # where Ray would write its own token
        for name in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"):
            patch.delenv(name, raising=False)
        executor = RayExecutor(num_cpus=1, data_dir=data_dir)
        executor.start()
        try:
            yield executor
        finally:
            executor.close()


def test_private_ray_keeps_its_token_0600_in_the_data_dir(private_ray, data_dir):
    token = data_dir / "ray_auth_token"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600 and len(token.read_text()) == 64
    assert not (data_dir / "home" / ".ray" / "auth_token").exists()
