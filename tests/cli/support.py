"""Real processes for the CLI tests: a `lossboard serve` subprocess and `lossboard` calls."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.helpers import ServerProcess, server_env

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOSSBOARD = [sys.executable, "-m", "server"]
TOKEN = "s3cret-cli-token"  # the token of the `token_server` fixture


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without LOSSBOARD_* settings, plus `extra`."""
    # rich tables at full width, so names and ids are not cut
    return server_env({"COLUMNS": "200", **extra})


@dataclass
class Server:
    url: str
    token: str | None = None
    data_dir: Path | None = None

    def api(self, method: str, path: str, **kwargs) -> httpx.Response:
        """A direct HTTP call, with the token when the server has one."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.request(method, self.url + path, headers=headers, timeout=10, **kwargs)

    def get(self, path: str) -> httpx.Response:
        """GET a path on this server."""
        return self.api("GET", path)


@contextmanager
def serving(
    command: Sequence[str],
    port: int,
    env: Mapping[str, str],
    data_dir: Path,
    token: str | None = None,
) -> Iterator[Server]:
    """Start a server process from `command`, wait for /healthz, and stop it afterwards."""
    with ServerProcess(data_dir, command=command, port=port, env=env) as process:
        yield Server(process.url, token, data_dir)


def lossboard(
    server: Server | None,
    *args: str,
    token: str | None = None,
    timeout: float = 60,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `lossboard ARGS` against `server`, passing its URL and `token` by environment (in
    `cwd`, with this checkout's package first on the path)."""
    env = clean_env()
    if cwd is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if server is not None:
        env["LOSSBOARD_URL"] = server.url
    if token is not None:
        env["LOSSBOARD_TOKEN"] = token
    return subprocess.run(
        [*LOSSBOARD, *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd
    )


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's (KEYWORD, arguments) pairs, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = (line.strip() for line in text.splitlines())
    pairs = [line.split(None, 1) for line in lines if line and not line.startswith("#")]
    return [(keyword.upper(), rest) for keyword, rest in pairs]


def instruction(keyword: str) -> str:
    """The arguments of the Dockerfile's one `keyword` instruction."""
    (rest,) = [rest for key, rest in dockerfile() if key == keyword]
    return rest


def image_cmd(data_dir: Path) -> list[str]:
    """The image's CMD, run with this venv's lossboard and `data_dir` for /data."""
    cmd = json.loads(instruction("CMD"))
    cmd = [str(data_dir) if arg == "/data" else arg for arg in cmd]
    return [str(BIN / cmd[0]), *cmd[1:]]
