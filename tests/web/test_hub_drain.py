"""RunHub.drained: what a stopping server waits on before it closes the sockets."""

from __future__ import annotations

import asyncio

from server.web.stream import RunHub
from tests.helpers import run_async


async def drained_while(manager, subscribed: bool) -> bool:
    hub = RunHub(manager, asyncio.get_running_loop())
    sub = hub.subscribe(7)
    if not subscribed:
        hub.unsubscribe(sub, 7)
    return await hub.drained(0.05)


def test_hub_drained_once_every_run_subscriber_has_left(manager):
    assert run_async(drained_while(manager, subscribed=False))


def test_hub_not_drained_while_a_run_subscriber_stays(manager):
    assert not run_async(drained_while(manager, subscribed=True))


def test_hub_drained_ignores_all_runs_subscribers(manager):
    async def check() -> bool:
        hub = RunHub(manager, asyncio.get_running_loop())
        hub.subscribe(None)  # /ws/runs never ends by itself: uvicorn closes it
        return await hub.drained(0.05)

    assert run_async(check())
