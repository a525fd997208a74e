"""Plain helpers for the tests: a tiny config, an in-process app, waits, a real server process."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx
import uvicorn
from fastapi.testclient import TestClient

from server.protocol import FINISHED_STATUSES
from server.settings import Settings
from server.training.manager import RunManager
from server.web.app import create_app

# Tiny sizes: fast runs for tests that are about the engine, not the numbers.
TINY = {"N": 8, "D_in": 16, "H": 16, "D_out": 1}
# TINY as `lossboard` flags
TINY_ARGS = ["--set", "N=8", "--set", "D_in=16", "--set", "H=16", "--set", "D_out=1"]

# Bound to loopback, the app answers only loopback Host names; TestClient says "testserver".
TEST_HOSTS = ["testserver"]

START_TRIES = 3  # another process may take the free port before the server binds it


class Getter(Protocol):
    """Anything that GETs a path: a TestClient, an httpx.Client with a base_url, a CLI Server."""

    def get(self, path: str) -> httpx.Response: ...


TOKEN = "s3cret-token-for-the-web-tests"  # the `token_client` fixture's token


def app_settings(data_dir, **settings) -> Settings:
    """Settings of an in-process app: the sandbox warms only if a test evaluates."""
    options = {"playground_prestart": False, "allowed_hosts": TEST_HOSTS, **settings}
    return Settings(data_dir=data_dir, **options)


@contextmanager
def app_client(data_dir, **settings) -> Iterator[TestClient]:
    """An in-process app on its own data dir."""
    with TestClient(create_app(app_settings(data_dir, **settings))) as client:
        yield client


def wait_for(predicate: Callable[[], object], timeout: float = 30.0) -> object:
    """Poll until predicate() is truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.005)
    raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")


def wait_finished(manager: RunManager, run_id: int, timeout: float = 60.0) -> dict:
    """Wait until the run has ended and its final state is stored; return it."""

    def done() -> dict | None:
        run = manager.reads.get(run_id)
        ended = run["status"] in FINISHED_STATUSES and manager.reads.live_run(run_id) is None
        return run if ended else None

    return wait_for(done, timeout)


def wait_status(
    client: Getter,
    run_id: int,
    statuses: Sequence[str] = FINISHED_STATUSES,
    timeout: float = 60.0,
) -> dict:
    """Poll GET /api/runs/{run_id} until its status is one of `statuses`; return the run."""

    def check() -> dict | None:
        run = client.get(f"/api/runs/{run_id}").json()
        return run if run["status"] in statuses else None

    return wait_for(check, timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without LOSSBOARD_* settings, plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOSSBOARD_")}
    return env | {"PYTHONUNBUFFERED": "1"} | dict(overrides or {})


class Loopback:
    """A server on 127.0.0.1 at `self.port`, and its HTTP and websocket base URLs."""

    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


class ServerProcess(Loopback):
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
    def command(self) -> list[str]:
        if self.custom_command is not None:
            return list(self.custom_command)
        return [sys.executable, "-m", "server", "serve", "--port", str(self.port),
                "--data-dir", str(self.data_dir), *self.args]  # fmt: skip

    def get(self, path: str) -> httpx.Response:
        """GET a path on this server."""
        return httpx.get(self.url + path, timeout=10)

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

    def rss_bytes(self, peak: bool = False) -> int:
        """The server process's resident memory now, or its most since it started."""
        field = "VmHWM:" if peak else "VmRSS:"
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class ThreadServer(Loopback):
    """An ASGI app under a real uvicorn on a free loopback port, in a thread of this process,
    so a test can change what the app reads (the variant registry, say) and watch it serve."""

    def __init__(self, app: object, **options: object) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", **options)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, args=([self.socket],), name="test-uvicorn", daemon=True
        )

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        wait_for(lambda: self.server.started or not self.thread.is_alive(), timeout=60)
        if not self.server.started:
            raise RuntimeError("uvicorn did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.socket.close()


T = TypeVar("T")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """asyncio.run(coro) on a thread of its own: in a whole-suite run the browser tests'
    Playwright keeps an event loop running on the main thread, where asyncio.run refuses."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
