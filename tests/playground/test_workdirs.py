"""The sandbox's directory: named after its server's pid; a dead server's is removed at start,
a live one's never; and a pool stopped while its zygote warms up ends it without a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest

from server.playground import workdirs
from server.playground.sandbox import SandboxPool

OTHER_SERVER = (
    "from server.playground.sandbox import SandboxPool\n"
    "pool = SandboxPool()\n"
    "pool.start(wait=False, prestart=False)\n"
    "print(pool.workdir, flush=True)\n"
    "input()\n"
)


@pytest.fixture
def tmp(tmp_path, monkeypatch):
    """A temporary directory of its own, where pools make their directories."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


@pytest.fixture
def other_server(tmp):
    """Another process with a sandbox directory of its own, still running."""
    env = os.environ | {"TMPDIR": str(tmp)}
    command = [sys.executable, "-c", OTHER_SERVER]
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE}
    with subprocess.Popen(command, env=env, **pipes) as process:
        yield process, process.stdout.readline().decode().strip()
        process.kill()


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", ""])
    process.wait()
    return process.pid


def started_pool() -> SandboxPool:
    pool = SandboxPool(workers=1)
    pool.start(wait=False, prestart=False)
    return pool


def test_workdir_name_carries_the_server_pid(tmp):
    pool = started_pool()
    try:
        assert pool.workdir.parent == tmp
        assert workdirs.owner(pool.workdir) == os.getpid()
    finally:
        pool.close()


def test_workdir_of_a_dead_server_is_removed_at_start(tmp):
    leftover = tmp / f"{workdirs.PREFIX}{dead_pid()}-x1y2"
    leftover.mkdir()
    (leftover / "torch-tmp").write_text("left behind")
    pool = started_pool()
    pool.close()
    assert not leftover.exists()


def test_workdir_of_a_live_server_is_kept(tmp, other_server):
    process, theirs = other_server
    assert workdirs.owner(tmp / os.path.basename(theirs)) == process.pid
    pool = started_pool()
    pool.close()
    assert os.path.isdir(theirs)


def test_workdir_without_a_pid_is_left_alone(tmp):
    unknown = tmp / f"{workdirs.PREFIX}abc123"  # named as before pids: whose it is, nobody knows
    unknown.mkdir()
    pool = started_pool()
    pool.close()
    assert unknown.is_dir()


def test_pool_closed_while_its_zygote_warms_up_ends_it_without_a_traceback(tmp, capfd):
    pool = SandboxPool(workers=1)
    pool.start(wait=False)
    zygote = pool._zygote
    assert zygote is not None
    zygote.socket.close()  # the server goes while the zygote still imports torch
    try:
        assert zygote.process.wait(timeout=60) == 0  # it warmed up, found nobody, and ended
    finally:
        pool.close()
    assert "Traceback" not in capfd.readouterr().err
