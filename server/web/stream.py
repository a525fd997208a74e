"""Hand-off from worker threads to websocket subscribers: each subscriber is a cursor.

Worker threads only append to a run's series and call the manager's listeners; the hub turns
those calls into `loop.call_soon_threadsafe` wake-ups. A woken subscriber sends everything
after its cursor in one message, so nothing is dropped, a slow client blocks only itself,
and nothing is queued per subscriber.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import time
from collections.abc import Awaitable, Callable

import numpy as np
import orjson

from server.system.runs import Sampled
from server.training.manager import RunManager
from server.training.run import Run
from server.web.schemas import run_public
from server.web.wsframes import FramedText

# A run's worker wakes its subscribers at most every drive.TICK_S (20 times a second), so a
# run subscriber needs no pacing of its own; the all-runs socket coalesces over this interval.
SEND_INTERVAL_S = 0.05
PROGRESS_INTERVAL_S = 1.0  # /ws/runs: at most one progress message a second per running run
PLACES_INTERVAL_S = 0.5  # /ws/runs: queued runs' new places, at most this often
HISTORY_BATCH = 50_000  # points per message when replaying a stored run
Send = Callable[[str], Awaitable[None]]  # sends one text frame


class Subscriber:
    """One websocket's wake-up flag, plus (for /ws/runs) the ids of runs it should hear of."""

    def __init__(self) -> None:
        self.wake = asyncio.Event()
        self.dirty: set[int] = set()


class RunHub:
    """Wakes subscribers on the event loop when runs change; never blocks a worker thread."""

    def __init__(self, manager: RunManager, loop: asyncio.AbstractEventLoop) -> None:
        self.manager = manager
        self.reads = manager.reads
        self.loop = loop
        self._by_run: dict[int, set[Subscriber]] = {}
        self._all: set[Subscriber] = set()
        self._progress_sent: dict[int, float] = {}
        # Subscribers woken together send up to the same mark, so one encoding serves them all.
        self._marks: dict[int, int] = {}
        self._encoded: dict[int, tuple[int, int, str]] = {}
        self._no_run_subscribers = asyncio.Event()
        self._no_run_subscribers.set()
        # /ws/runs: each run's message encoded once per change for every subscriber
        self._changes: dict[int, int] = {}
        self._run_texts: dict[int, tuple[int, str]] = {}
        self._places: tuple[int, dict[int, dict]] | None = None  # (wake-up, queue places)
        self._wakes = 0
        # queued runs whose place moved: told at most once a second, not at every start and end
        self._moved: set[int] = set()
        self._moved_flush: asyncio.TimerHandle | None = None
        manager.add_listener(self._on_event)

    def _on_event(self, run: Run, event: str) -> None:
        """Called on a worker thread (or a request thread): hop to the loop."""
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._wake, run, event, len(run.losses))

    def stored_changed(self, run_id: int) -> None:
        """A script's run has new points or a new state in the store (called on any thread)."""
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._wake_stored, run_id)

    def _wake_stored(self, run_id: int) -> None:
        for sub in self._by_run.get(run_id, ()):
            sub.wake.set()
        for sub in self._all:  # follow_all sends it at most every SEND_INTERVAL_S
            sub.dirty.add(run_id)
            sub.wake.set()

    def _wake(self, run: Run, event: str, mark: int) -> None:
        self._marks[run.id] = max(mark, self._marks.get(run.id, 0))
        for sub in self._by_run.get(run.id, ()):
            sub.wake.set()
        now = time.monotonic()
        if event == "points" and now - self._progress_sent.get(run.id, 0.0) < PROGRESS_INTERVAL_S:
            return
        self._progress_sent[run.id] = now
        if run.finished:  # nothing more will come from it
            self._progress_sent.pop(run.id, None)
            if run.id not in self._by_run:
                self._marks.pop(run.id, None)
        if event == "status":
            self._moved.update(self._waiting_behind(run))
            if self._moved_flush is None:
                self._moved_flush = self.loop.call_later(PLACES_INTERVAL_S, self._flush_moved)
        self._mark_all([run.id])

    def _mark_all(self, run_ids: list[int]) -> None:
        """Tell every /ws/runs subscriber that these runs changed."""
        self._wakes += 1
        for run_id in run_ids:
            self._changes[run_id] = self._changes.get(run_id, 0) + 1
        for sub in self._all:
            sub.dirty.update(run_ids)
            sub.wake.set()

    def _flush_moved(self) -> None:
        """Send the queued runs whose place moved since the last flush."""
        self._moved_flush = None
        moved, self._moved = list(self._moved), set()
        self._mark_all(moved)
        for run_id in moved:
            for sub in self._by_run.get(run_id, ()):
                sub.wake.set()

    def _waiting_behind(self, run: Run) -> list[int]:
        """The queued runs whose place may have moved now that `run` has left its lane's queue
        (or a sweep's gate let others in): the runs queued in its lane."""
        if run.status == "queued" or run.turn is None:
            return []
        lane = self.manager.executor.lane(run.config.device)
        return [
            other.id
            for other in self.reads.live_runs()
            if other.status == "queued" and self.manager.executor.lane(other.config.device) == lane
        ]

    def subscribe(self, run_id: int | None) -> Subscriber:
        """A new subscriber to one run, or to every run when run_id is None."""
        sub = Subscriber()
        if run_id is None:
            self._all.add(sub)
        else:
            self._by_run.setdefault(run_id, set()).add(sub)
            self._no_run_subscribers.clear()
        return sub

    def unsubscribe(self, sub: Subscriber, run_id: int | None) -> None:
        if run_id is None:
            self._all.discard(sub)
            return
        subs = self._by_run.get(run_id, set())
        subs.discard(sub)
        if not subs:
            self._by_run.pop(run_id, None)
            self._encoded.pop(run_id, None)
            if self.reads.live_run(run_id) is None:
                self._marks.pop(run_id, None)
        if not self._by_run:
            self._no_run_subscribers.set()

    async def drained(self, timeout: float) -> bool:
        """Wait until every run's subscribers have had its end and left; False at the timeout."""
        try:
            await asyncio.wait_for(self._no_run_subscribers.wait(), timeout)
        except asyncio.TimeoutError:  # not yet the builtin TimeoutError on Python 3.10
            return False
        return True

    def subscribers(self) -> int:
        """How many websockets follow a run or every run now (read on the loop)."""
        return len(self._all) + sum(len(subs) for subs in self._by_run.values())

    def points_text(self, run: Run, start: int, end: int) -> str:
        """Steps start..end-1 of a live run as one encoded message, shared by equal requests."""
        cached = self._encoded.get(run.id)
        if cached is not None and cached[:2] == (start, end):
            return cached[2]
        text = FramedText.of(encode_bytes(points_message(run, start, end)))  # framed once
        self._encoded[run.id] = (start, end, text)
        return text

    async def follow_run(
        self, run_id: int, after: int, send: Send, cursors: dict[str, int] | None = None
    ) -> bool:
        """Send a run and every point after `after` (and, live, its system samples after each
        series' cursor), live until it ends; False if unknown."""
        sub = self.subscribe(run_id)  # before reading state, so no wake-up is missed
        try:
            run = self.reads.live_run(run_id)
            if run is None:
                return await self._replay_stored(run_id, after, send)
            await self._follow_live(run, after + 1, sub, send, cursors or {})
            return True
        finally:
            self.unsubscribe(sub, run_id)

    async def _follow_live(
        self, run: Run, cursor: int, sub: Subscriber, send: Send, cursors: dict[str, int]
    ) -> None:
        sent_status, sent_worker, sent_samples = run.status, run.worker, 0
        sent_events, sent_checkpoint = len(run.events), run.checkpoint
        sent_params = bisect.bisect_left(run.params, cursor, key=lambda item: item[0])
        message = self.reads.public(run)
        sent_queue = message["queue"]
        await send(run_text(message))
        sub.wake.set()  # send what is already there at once
        while True:
            await sub.wake.wait()
            sub.wake.clear()
            status = run.status  # status first: then the mark below covers all its points
            end = len(run.losses) if run.finished else self._marks.get(run.id, 0)
            if sent_status == "queued" and status != "queued" and run.started_at is not None:
                # it started and maybe ended between two wake-ups: still announce the start
                sent_status = "running"
                await send(
                    run_text({**self.reads.public(run), "status": "running", "finished_at": None})
                )
            if end > cursor:
                await send(self.points_text(run, cursor, end))
                cursor = end
            for step, values in run.params[sent_params:]:
                if step >= cursor:  # its loss is not sent yet
                    break
                await send(params_text(step, values))
                sent_params += 1
            if len(run.samples) > sent_samples:
                for text in samples_texts(run.samples[sent_samples:], cursors):
                    await send(text)
                sent_samples = len(run.samples)
            queue = self.reads.queue_places().get(run.id) if status == "queued" else None
            if (status != sent_status or run.finished or run.worker is not sent_worker
                    or queue != sent_queue or len(run.events) != sent_events
                    or run.checkpoint is not sent_checkpoint):  # fmt: skip
                sent_status, sent_worker, sent_queue = status, run.worker, queue  # news too
                sent_events, sent_checkpoint = len(run.events), run.checkpoint
                await send(run_text(self.reads.public(run)))
            if (run.finished and cursor >= len(run.losses) and sent_params >= len(run.params)
                    and sent_samples >= len(run.samples)):  # fmt: skip
                return

    async def _replay_stored(self, run_id: int, after: int, send: Send) -> bool:
        row = await asyncio.to_thread(self.reads.get, run_id)
        if row is None:
            return False
        message = run_text(row)
        await send(message)
        # a piece at a time, so a long run's replay holds one message's worth in memory
        pieces = self.manager.store.iter_losses(run_id, after, HISTORY_BATCH)
        while piece := await asyncio.to_thread(next, pieces, None):
            steps, loss, times = piece
            for chunk in contiguous_chunks(steps, HISTORY_BATCH):
                await send(
                    encode({"type": "points", "start": int(steps[chunk.start]),
                            "loss": loss[chunk], "time": times[chunk]})
                )  # fmt: skip
        for step, values in await asyncio.to_thread(self.manager.store.read_params, run_id, after):
            await send(params_text(step, values))
        await send(message)
        return True

    async def follow_all(self, send: Send) -> None:
        """Send every live run now, then each run that is created or changes (coalesced)."""
        sub = self.subscribe(None)
        try:
            sub.dirty.update(run.id for run in self.reads.live_runs())
            sub.wake.set()
            while True:
                await sub.wake.wait()
                sub.wake.clear()
                dirty, sub.dirty = sub.dirty, set()
                for run_id in sorted(dirty):
                    if (text := self.run_frame(run_id)) is not None:
                        await send(text)
                await asyncio.sleep(SEND_INTERVAL_S)
        finally:
            self.unsubscribe(sub, None)

    def run_frame(self, run_id: int) -> str | None:
        """A run's /ws/runs message as it is now, encoded and framed once for every subscriber
        that sends it before the run changes again; None for a run that is gone."""
        change = self._changes.get(run_id, 0)
        cached = self._run_texts.get(run_id)
        if cached is not None and cached[0] == change:
            return cached[1]
        live = self.reads.live_run(run_id)
        if live is None:
            run = self.reads.get(run_id)
        else:
            if self._places is None or self._places[0] != self._wakes:
                self._places = (self._wakes, self.reads.queue_places())  # once a wake-up
            run = self.reads.public(live, self._places[1])
        if run is None:
            return None
        text = FramedText.of(encode_bytes({"type": "run", "run": run_public(run)}))
        self._run_texts[run_id] = (change, text)
        if live is None or live.finished:
            self._forget_later(run_id)
        return text

    def _forget_later(self, run_id: int) -> None:
        """Drop a finished run's cached message once this wake-up's subscribers have sent it."""
        self.loop.call_later(
            PLACES_INTERVAL_S * 4, lambda: (self._run_texts.pop(run_id, None),
                                            self._changes.pop(run_id, None))
        )  # fmt: skip


def contiguous_chunks(steps: np.ndarray, size: int) -> list[slice]:
    """Slices of at most `size` consecutive steps each (a points message has no gaps)."""
    breaks = np.flatnonzero(np.diff(steps) != 1) + 1
    bounds = [0, *breaks.tolist(), len(steps)]
    return [
        slice(i, min(i + size, end))
        for begin, end in itertools.pairwise(bounds)
        for i in range(begin, end, size)
    ]


def encode_bytes(message: dict) -> bytes:
    """Compact JSON; numpy arrays as lists. orjson writes the shortest digits that give back
    each float exactly, as Python's repr does, at a tenth of json's cost per batch."""
    return orjson.dumps(message, option=orjson.OPT_SERIALIZE_NUMPY)


def encode(message: dict) -> str:
    return encode_bytes(message).decode()


def run_text(run: dict) -> str:
    """A `run` message for a run dict (from the manager or the store)."""
    return encode({"type": "run", "run": run_public(run)})


def samples_texts(samples: list[Sampled], cursors: dict[str, int]) -> list[str]:
    """A `series` message for each series the samples hold, of the steps after its cursor."""
    columns: dict[str, list[tuple[int, float, float]]] = {}
    for sample in samples:
        for name, value in sample.values.items():
            if sample.step > cursors.get(name, -1):
                columns.setdefault(name, []).append((sample.step, value, sample.time))
    texts = []
    for name, rows in columns.items():
        steps, values, times = (list(column) for column in zip(*rows, strict=True))
        texts.append(encode({"type": "series", "name": name, "step": steps, "value": values,
                             "time": times}))  # fmt: skip
    return texts


def params_text(step: int, values: dict[str, float]) -> str:
    """A `params` message: a fit's parameters at one step (those that gave its loss)."""
    return encode({"type": "params", "step": step, "params": values})


def points_message(run: Run, start: int, end: int) -> dict:
    """Steps start..end-1 of a live run as one message (copies: the worker appends on)."""
    return {
        "type": "points",
        "start": start,
        "loss": np.frombuffer(run.losses[start:end]),
        "time": np.frombuffer(run.times[start:end]),
    }
