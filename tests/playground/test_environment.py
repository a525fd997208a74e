"""The sandbox's processes (the zygote and every snippet's child) inherit none of the
server's secrets: their environment is an allowlist."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from server.playground.sandbox import SandboxPool
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


def children(pid: int) -> list[int]:
    return [
        int(p)
        for p in (Path("/proc") / str(pid) / "task" / str(pid) / "children").read_text().split()
    ]


def test_zygote_and_snippet_processes_hold_no_secret(pool):
    assert pool.evaluate("print(1 + 1)")["stdout"] == "2\n"
    zygote = pool.zygote_pid
    assert zygote is not None
    spares = wait_for(lambda: children(zygote))  # forked ahead: the next snippets' processes
    for pid in [zygote, *spares]:
        env = environ(pid)
        assert not set(SECRETS) & set(env), pid
        assert not any(value in "".join(env.values()) for value in SECRETS.values())
        assert "PATH" in env
