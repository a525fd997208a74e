"""The auth token of the private Ray that `--executor ray` starts: kept 0600 in the data
directory (Ray would write one 0644 to ~/.ray). Ray reads its auth mode once, when it is
imported, so this module imports no Ray and private_auth() runs before anything imports it."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

TOKEN_FILE = "ray_auth_token"


def private_auth(data_dir: Path) -> None:
    """Token auth for a private Ray, its token in the data directory, unless the environment
    names a token already (a cluster's own, or the tests')."""
    if not {"RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"} & set(os.environ):
        os.environ["RAY_AUTH_MODE"] = "token"
        os.environ["RAY_AUTH_TOKEN_PATH"] = str(private_token(data_dir))


def private_token(data_dir: Path) -> Path:
    """The private Ray's token file, made with a new random token if missing; always 0600."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = data_dir / TOKEN_FILE
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    path.chmod(0o600)
    return path
