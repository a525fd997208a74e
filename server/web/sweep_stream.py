"""WS /ws/sweeps/{id}: a sweep's status and its runs' progress, at most about once a second.

The manager's listener marks, on the event loop, which runs of a followed sweep changed; a
woken subscriber reads the sweep and those runs once, sends what differs, then rests.
"""

from __future__ import annotations

import asyncio

from server.protocol import run_progress
from server.training.manager import RunManager
from server.training.run import Run
from server.training.sweeps import GOING, Sweeps
from server.web.schemas import sweep_public
from server.web.stream import Send, Subscriber, encode

SWEEP_INTERVAL_S = 1.0  # at most one round of messages a second per subscriber


class SweepHub:
    """Wakes each sweep's subscribers when one of its runs changes; never blocks a worker."""

    def __init__(self, manager: RunManager, sweeps: Sweeps, loop: asyncio.AbstractEventLoop):
        self.manager = manager
        self.sweeps = sweeps
        self.loop = loop
        self._subs: dict[int, set[Subscriber]] = {}
        manager.add_listener(self._on_event)
        sweeps.searches.add_listener(self._on_told)

    def _on_told(self, sweep_id: int) -> None:
        """A search told a point: its status or best may change with no run's event."""
        if sweep_id in self._subs and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._wake, sweep_id, None)

    def _on_event(self, run: Run, event: str) -> None:
        """Called on a worker thread: hop to the loop only for a sweep someone follows."""
        if run.sweep_id in self._subs and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._wake, run.sweep_id, run.id)

    def _wake(self, sweep_id: int, run_id: int | None) -> None:
        for sub in self._subs.get(sweep_id, ()):
            if run_id is not None:
                sub.dirty.add(run_id)
            sub.wake.set()

    async def follow(self, sweep_id: int, send: Send) -> bool:
        """Send the sweep, then what changes, until it is no longer running; False if unknown."""
        sub = Subscriber()
        self._subs.setdefault(sweep_id, set()).add(sub)  # before reading: no change is missed
        try:
            sweep = await asyncio.to_thread(self.sweeps.get, sweep_id)
            if sweep is None:
                return False
            await send(sweep_text(sweep))
            await self._follow(sweep, sub, send)
            return True
        finally:
            subs = self._subs[sweep_id]
            subs.discard(sub)
            if not subs:
                del self._subs[sweep_id]

    async def _follow(self, sweep: dict, sub: Subscriber, send: Send) -> None:
        sent_sweep, sent_progress = summary(sweep), dict[int, tuple]()
        while sweep["status"] in GOING:  # a paused sweep goes on when its runs resume
            await sub.wake.wait()
            sub.wake.clear()
            dirty, sub.dirty = sub.dirty, set()
            progress, now = await asyncio.to_thread(self._read, sweep["id"], dirty)
            if now is None:  # deleted meanwhile
                return
            changed = [p for p in progress if sent_progress.get(p["id"]) != tuple(p.values())]
            if changed:
                sent_progress.update((p["id"], tuple(p.values())) for p in changed)
                await send(encode({"type": "progress", "runs": changed}))
            sweep = now
            if summary(sweep) != sent_sweep:
                sent_sweep = summary(sweep)
                await send(sweep_text(sweep))
            await asyncio.sleep(SWEEP_INTERVAL_S)

    def _read(self, sweep_id: int, run_ids: set[int]) -> tuple[list[dict], dict | None]:
        """The changed runs' progress, then the sweep (so it is at least as new as they are)."""
        runs = [run for i in sorted(run_ids) if (run := self._row(i)) is not None]
        return [run_progress(run) for run in runs], self.sweeps.get(sweep_id)

    def _row(self, run_id: int) -> dict | None:
        """A run's row for its progress: a live run's own (no queue places), else the store's."""
        live = self.manager.reads.live_run(run_id)
        return live.public() if live is not None else self.manager.reads.get(run_id)


def summary(sweep: dict) -> tuple:
    """What a `sweep` message is sent again for."""
    return sweep["status"], sweep["counts"], sweep["best"]


def sweep_text(sweep: dict) -> str:
    return encode({"type": "sweep", "sweep": sweep_public(sweep)})
