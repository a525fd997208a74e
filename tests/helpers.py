"""A real `lossboard serve` in a subprocess on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

START_TRIES = 3  # another process may take the free port before the server binds it


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without LOSSBOARD_* settings, plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOSSBOARD_")}
    return env | {"PYTHONUNBUFFERED": "1"} | dict(overrides or {})


class ServerProcess:
    """`python -m server serve` on a data dir, logging to DATA_DIR/server.log.

    A context manager: it starts the server, waits for /healthz, and stops it on exit.
    `command` replaces the whole command line (for the Docker image's CMD); then `port` must
    say where it listens.
    """

    def __init__(
        self,
        data_dir: Path,
        *args: str,
        env: Mapping[str, str] | None = None,
        command: Sequence[str] | None = None,
        port: int | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.args, self.custom_command = args, command
        self.env = server_env(env)
        self.port = port or free_port()
        self.log = self.data_dir / "server.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def command(self) -> list[str]:
        if self.custom_command is not None:
            return list(self.custom_command)
        return [sys.executable, "-m", "server", "serve", "--port", str(self.port),
                "--data-dir", str(self.data_dir), *self.args]  # fmt: skip

    def start(self, timeout: float = 60.0) -> ServerProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for attempt in range(START_TRIES):
            with self.log.open("wb") as out:  # a file, not a pipe nobody reads: never blocks
                self.proc = subprocess.Popen(
                    self.command, env=self.env, stdout=out, stderr=subprocess.STDOUT
                )
            if self._wait_healthy(timeout):
                return self
            if self.custom_command is not None or attempt == START_TRIES - 1:
                break
            self.port = free_port()
        raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log.read_text()}")

    def _wait_healthy(self, timeout: float) -> bool:
        """True once /healthz answers; False if the process exited over a taken port."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if "address already in use" in self.log.read_text():
                    return False
                raise RuntimeError(f"server exited early:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return True
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not answer /healthz in {timeout}s:\n{self.log.read_text()}")

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, as a user's Ctrl-C or `docker stop` would; wait for a clean exit."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.terminate()
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def kill(self) -> int:
        """SIGKILL: the process dies with no chance to clean up."""
        self.proc.kill()
        return self.proc.wait()

    def rss_bytes(self) -> int:
        """The server process's resident memory."""
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
