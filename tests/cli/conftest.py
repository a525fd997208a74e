"""Two real servers for the whole CLI folder: one open on loopback, and the Docker image's
CMD line with a token (what `docker run -e LOSSBOARD_TOKEN=...` starts)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cli.support import LOSSBOARD, Server, clean_env, image_cmd, serving
from tests.helpers import free_port

TOKEN = "s3cret-cli-token"


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[Server]:
    data, port = tmp_path_factory.mktemp("open"), free_port()
    command = [*LOSSBOARD, "serve", "--port", str(port), "--data-dir", str(data)]
    with serving(command, port, clean_env(LOSSBOARD_LOG_LEVEL="warning"), data) as server:
        yield server


@pytest.fixture(scope="session")
def token_server(tmp_path_factory) -> Iterator[Server]:
    data, port = tmp_path_factory.mktemp("image"), free_port()
    env = clean_env(LOSSBOARD_TOKEN=TOKEN, LOSSBOARD_PORT=str(port), LOSSBOARD_LOG_LEVEL="warning")
    with serving(image_cmd(data), port, env, data, TOKEN) as server:
        yield server
