"""/ws/runs under many followers: each run's message is encoded once for all of them, queued
runs' new places come coalesced, and past LOSSBOARD_MAX_SUBSCRIBERS a socket is closed 1013."""

from __future__ import annotations

import asyncio

import pytest
from starlette.websockets import WebSocketDisconnect

from server.protocol import CloseCode
from server.training.spec import RunSpec
from server.web.stream import PLACES_INTERVAL_S, RunHub
from server.web.wsframes import FramedText
from tests.helpers import TINY, app_client, run_async


def test_a_runs_message_is_encoded_once_until_it_changes(manager):
    run = manager.submit(RunSpec(variant="numpy", iterations=5, **TINY))

    async def frames() -> tuple[str | None, str | None, str | None]:
        hub = RunHub(manager, asyncio.get_running_loop())
        first, second = hub.run_frame(run.id), hub.run_frame(run.id)
        manager.edit(run.id, {"name": "renamed"})  # a change: hub hears it on the loop
        await asyncio.sleep(0.05)
        return first, second, hub.run_frame(run.id)

    first, second, after = run_async(frames())
    assert isinstance(first, FramedText) and first is second  # one encoding, shared
    assert after is not first and '"name":"renamed"' in after


def test_queued_runs_new_places_come_together_not_at_every_change(make_manager):
    manager = make_manager(workers_per_device=0)  # nothing trains: the runs stay queued
    runs = [manager.submit(RunSpec(variant="numpy", iterations=5, **TINY)) for _ in range(3)]

    async def marks() -> tuple[set[int], set[int]]:
        hub = RunHub(manager, asyncio.get_running_loop())
        sub = hub.subscribe(None)
        for run in runs[:2]:
            manager.cancel(run.id)  # each one moves the runs queued behind it
        await asyncio.sleep(0.05)
        soon, sub.dirty = set(sub.dirty), set()
        await asyncio.sleep(PLACES_INTERVAL_S + 0.1)
        return soon, set(sub.dirty)

    soon, later = run_async(marks())
    assert soon == {runs[0].id, runs[1].id}  # the changed runs at once
    assert runs[2].id in later  # the moved one after the interval, once


def test_follower_past_the_cap_is_closed_1013(tmp_path):
    with app_client(tmp_path, max_subscribers=1) as client, client.websocket_connect("/ws/runs"):
        with (
            client.websocket_connect("/ws/runs") as second,
            pytest.raises(WebSocketDisconnect) as ended,
        ):
            second.receive_json()
        assert ended.value.code == CloseCode.BUSY == 1013
        assert "LOSSBOARD_MAX_SUBSCRIBERS" in ended.value.reason
