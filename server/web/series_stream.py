"""Following a run that a script logs: its state and series are read from the store, since its
points arrive through the ingest routes, not a worker; each wake-up sends what is new.

`loss` goes as today's `points` messages (one per run of consecutive steps, each with its
`start`); every other series as `series` messages that carry their steps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from server.store import series
from server.store.series import Points
from server.training.manager import RunManager
from server.web.stream import RunHub, contiguous_chunks, encode, run_text

HISTORY_BATCH = 50_000  # points per message
Send = Callable[[str], Awaitable[None]]


async def follow_run(
    hub: RunHub, run_id: int, after: int, cursors: dict[str, int], send: Send
) -> bool:
    """Follow any run: the hub's way for a run the server trains, the store's for a script's
    (`after` is its loss's cursor, `cursors` the other series'); False if there is none."""
    if hub.manager.reads.live_run(run_id) is None:
        row = await asyncio.to_thread(hub.manager.reads.get, run_id)
        if row is not None and row["source"] == "sdk":
            sub = hub.subscribe(run_id)  # before reading anything, so no wake-up is missed
            try:
                return await follow_stored(hub.manager, run_id, {"loss": after, **cursors},
                                           sub.wake, send)  # fmt: skip
            finally:
                hub.unsubscribe(sub, run_id)
    return await hub.follow_run(run_id, after, send, cursors)


async def follow_stored(
    manager: RunManager,
    run_id: int,
    cursors: dict[str, int],
    wake: asyncio.Event,
    send: Send,
) -> bool:
    """Send the run, then every point after each series' cursor, again at each wake-up until
    the run is no longer running; False if there is no such run."""
    sent = None
    while True:
        row = await asyncio.to_thread(
            manager.reads.get, run_id
        )  # status first: points then cover it
        if row is None:
            return sent is not None  # deleted
        if sent is None:
            await send(run_text(row))
        for name in sorted(await asyncio.to_thread(stored_names, manager, run_id)):
            cursors[name] = await send_series(manager, run_id, name, cursors.get(name, -1), send)
        if row["status"] != "running":
            await send(run_text(row))
            return True
        if sent is not None and row != sent:  # its numbers moved on, or its name, notes, tags
            await send(run_text(row))
        sent = row
        await wake.wait()
        wake.clear()


def stored_names(manager: RunManager, run_id: int) -> list[str]:
    return series.names(manager.store.reader(), run_id)


async def send_series(manager: RunManager, run_id: int, name: str, after: int, send: Send) -> int:
    """Send a series' points after `after`, a message at a time; the last step sent."""
    while True:
        piece = await asyncio.to_thread(read_piece, manager, run_id, name, after)
        if not len(piece):
            return after
        for text in messages(name, piece):
            await send(text)
        after = int(piece.step[-1])


def read_piece(manager: RunManager, run_id: int, name: str, after: int) -> Points:
    """The next message's worth of a series, on the calling thread's connection."""
    return series.read(manager.store.reader(), run_id, name, after, HISTORY_BATCH)


def messages(name: str, points: Points) -> list[str]:
    """`points` messages for loss, a `series` message for any other series."""
    if name != "loss":
        return [series_text(name, points)]
    return [
        encode({"type": "points", "start": int(points.step[chunk.start]),
                "loss": points.value[chunk], "time": points.time[chunk]})
        for chunk in contiguous_chunks(points.step, HISTORY_BATCH)
    ]  # fmt: skip


def series_text(name: str, points: Points) -> str:
    """A `series` message: some points of one series, steps and all (non-finite as null)."""
    return encode({"type": "series", "name": name, "step": points.step, "value": points.value,
                   "time": points.time})  # fmt: skip
