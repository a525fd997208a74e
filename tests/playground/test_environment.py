"""The sandbox's processes (the zygote and every snippet's child) inherit none of the
server's secrets (their environment is an allowlist), and run at a lower CPU priority."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.playground.sandbox import SANDBOX_NICE, SandboxPool
from tests.helpers import wait_for

SECRETS = {"LOSSBOARD_TOKEN": "server-token-0123456789", "RAY_AUTH_TOKEN": "ray-token-0123",
           "AWS_SECRET_ACCESS_KEY": "aws-secret"}  # fmt: skip


@pytest.fixture
def pool(monkeypatch) -> Iterator[SandboxPool]:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    with SandboxPool(workers=1, timeout_s=10) as pool:
        yield pool


def environ(pid: int) -> dict[str, str]:
    """A process's environment, as /proc shows it to the machine's other users' tools."""
    raw = (Path("/proc") / str(pid) / "environ").read_bytes()
    return dict(item.decode().partition("=")[::2] for item in raw.split(b"\0") if item)


def processes(pool: SandboxPool) -> dict[int, tuple[dict[str, str], int]]:
    """The zygote and its waiting children: each one's environment and CPU priority (the
    child that ran the last snippet may be exiting meanwhile: it is left out)."""
    zygote = pool.zygote_pid
    assert zygote is not None

    def snapshot() -> dict[int, tuple[dict[str, str], int]] | None:
        found = {}
        for pid in [zygote, *children(zygote)]:
            try:
                found[pid] = environ(pid), os.getpriority(os.PRIO_PROCESS, pid)
            except (ProcessLookupError, FileNotFoundError):
                continue
        return found if zygote in found and len(found) > 1 else None  # a spare is waiting

    return wait_for(snapshot)


def children(pid: int) -> list[int]:
    return [
        int(p)
        for p in (Path("/proc") / str(pid) / "task" / str(pid) / "children").read_text().split()
    ]


def test_zygote_and_snippet_processes_hold_no_secret(pool):
    assert pool.evaluate("print(1 + 1)")["stdout"] == "2\n"
    for pid, (env, _) in processes(pool).items():
        assert not set(SECRETS) & set(env), pid
        assert not any(value in "".join(env.values()) for value in SECRETS.values())
        assert "PATH" in env


def test_sandbox_runs_at_a_lower_cpu_priority_than_the_server(pool):
    assert pool.evaluate("print(1)")["stdout"] == "1\n"
    expected = min(19, os.getpriority(os.PRIO_PROCESS, 0) + SANDBOX_NICE)
    for pid, (_, priority) in processes(pool).items():
        assert priority == expected, pid
