"""A real `lossboard serve` on a 6 MiB tmpfs that fills up while a run trains: the run ends
failed with what it stored kept, /healthz and new runs say why, and freed space heals it."""

from __future__ import annotations

import errno
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tests.helpers import TINY, ServerProcess, wait_for, wait_status

pytestmark = pytest.mark.e2e
CHUNK = 64 * 2**10


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MiB tmpfs mounted for this test only."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mnt)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=True)


@pytest.fixture
def server(small_disk: Path, tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(small_disk / "data")
    server.log = tmp_path / "server.log"  # off the small disk: the log must not fill it
    with server:
        yield server


def fill(path: Path) -> None:
    """Write zeros to `path` until the file system has no room left (the run's own writes
    may have filled it first: then even creating the file says so)."""
    try:
        with path.open("wb") as f:
            while True:
                f.write(bytes(CHUNK))
                f.flush()
    except OSError as exc:
        assert exc.errno == errno.ENOSPC


def stored(server: ServerProcess, run_id: int) -> int:
    """How many of a run's losses its server has committed to the database."""
    with closing(sqlite3.connect(server.data_dir / "lossboard.sqlite3")) as db:
        sql = "SELECT COALESCE(SUM(count), 0) FROM losses WHERE run_id = ?"
        return int(db.execute(sql, (run_id,)).fetchone()[0])


def start_writing(server: ServerProcess) -> dict:
    """A long run, once more than 1,000 of its losses are on disk: long enough to be running
    when the test fills the disk, too short to fill it alone (100,000 steps, ~1.6 MB, WAL
    included at most ~3.2 MB, beside the 1 MiB reserve) on a slow or a fast machine."""
    run = post_run(server, 100_000).json()
    wait_for(lambda: stored(server, run["id"]) > 1000)
    return run


def post_run(server: ServerProcess, iterations: int) -> httpx.Response:
    body = {"variant": "tensors", "iterations": iterations, **TINY}
    return httpx.post(f"{server.url}/api/runs", json=body, timeout=30)


def test_real_server_on_a_full_disk_fails_the_run_and_keeps_what_it_stored(server, small_disk):
    run = start_writing(server)
    fill(small_disk / "filler")
    ended = wait_status(server, run["id"], timeout=30)
    assert ended["status"] == "failed" and ended["error"].startswith("disk full: ")
    losses = server.get(f"/api/runs/{run['id']}/losses").json()
    assert losses["step"] == list(range(ended["iteration"])) and ended["iteration"] > 1000
    assert ended["last_loss"] == losses["loss"][-1]


def test_real_server_on_a_full_disk_says_so_and_heals_when_space_returns(server, small_disk):
    run = start_writing(server)
    fill(small_disk / "filler")
    wait_status(server, run["id"], timeout=30)
    health = server.get("/healthz")
    assert health.status_code == 503 and health.json()["problem"].startswith("disk full: ")
    refused = post_run(server, 100)
    assert refused.status_code == 507 and refused.json()["detail"].startswith("disk full: ")
    (small_disk / "filler").unlink(missing_ok=True)
    assert server.get("/healthz").json() == {"status": "ok", "executor": "ok"}
    again = post_run(server, 100)
    assert again.status_code == 201
    assert wait_status(server, again.json()["id"])["status"] == "completed"
    assert len(server.get(f"/api/runs/{again.json()['id']}/losses").json()["step"]) == 100


def test_real_server_refuses_an_emptied_database_naming_it(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "lossboard.sqlite3").touch()  # what a lost database leaves
    (data / "lossboard.reserve").write_bytes(b"\0")
    server = ServerProcess(data)
    try:
        with pytest.raises(RuntimeError, match=r"lossboard\.sqlite3 is empty \(0 bytes\)"):
            server.start(timeout=60)
    finally:
        server.stop()
