"""The background thread that takes logged points from the run's buffer to the server.

Batches go out at least every INTERVAL_S, numbered 0, 1, 2, ... (seq), one in flight, each
resent verbatim until acknowledged, so the server stores each exactly once. While the
server cannot be reached, batches spill to a spool directory and are replayed in order.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from time import monotonic
from typing import Any, Protocol

import orjson

from lossboard.errors import Refused, Unreachable
from lossboard.rundir import Batch, RunDir

INTERVAL_S = 0.05  # the longest a logged point waits before its batch is sent
HEARTBEAT_S = 0.5  # an idle run still says it is alive, and hears should_stop, this often
MAX_BATCH = 10_000  # points a batch; ~65 bytes each at worst, well under the 1 MiB body cap
RETRY_MAX_S = 1.0  # the longest wait between two tries of a batch
RETRY_STATUSES = frozenset({401, 403, 408, 429})  # besides 5xx: answers worth trying again
# The thread reports through logging, not warnings: under `-W error` a warning would raise
# here and end the thread.
log = logging.getLogger("lossboard")


class Sink(Protocol):
    """Where batches go: the server (online) or a directory (offline)."""

    def send(self, batch: Batch) -> bool:
        """Store the batch; return should_stop. Raise Unreachable or Refused."""
        ...


Entry = tuple[int, float, dict[str, float]]  # step, time, values: one log() call


class Sender:
    """Drains its queue (which log() fills) into batches for `sink`; spills to `spool()`
    while sends fail."""

    def __init__(
        self, sink: Sink, spool: Callable[[], RunDir], seq: int = 0, heartbeat: bool = True
    ) -> None:
        self.queue: deque[Entry] = deque()
        self.heartbeat = heartbeat
        self.sink, self.make_spool = sink, spool
        self.seq = seq  # the next batch's
        self.pending: Columns = {}
        self.pending_points = 0
        self.dequeued = 0  # points taken off the queue (only this thread writes it)
        self.inflight: Batch | None = None
        self.spool: RunDir | None = None
        self.spooled_points = 0  # in the spool and not yet read back
        self.should_stop = False
        self.refused = 0  # points the server refused outright
        self.fatal: str | None = None  # why sending stopped for good
        self.failures = 0
        self.retry_at = 0.0
        self.last_sent = monotonic()
        self.closing = threading.Event()
        self.abort = threading.Event()
        self.warned: set[int | str] = set()
        self.thread = threading.Thread(target=self.loop, name="lossboard-sender", daemon=True)

    def loop(self) -> None:
        while not self.abort.is_set() and self.fatal is None:
            self.drain()
            if self.failures or (self.spool is not None and self.spool.unread()):
                self.spill(all_of_it=self.failures > 0)
            if self.inflight is None:
                self.inflight = self.next_batch()
            if self.inflight is None and self.closing.is_set() and not self.queue:
                return
            if self.inflight is not None and monotonic() >= self.retry_at and self.deliver():
                continue
            self.abort.wait(INTERVAL_S)

    def drain(self) -> None:
        """Move logged points from the queue into columns, up to a batch's worth."""
        queue, pending = self.queue, self.pending
        while queue and self.pending_points < MAX_BATCH:
            step, time, values = queue.popleft()
            for name, value in values.items():
                columns = pending.get(name)
                if columns is None:
                    columns = pending[name] = ([], [], [])
                columns[0].append(step)
                columns[1].append(value)
                columns[2].append(time)
            self.pending_points += len(values)
            self.dequeued += len(values)

    def next_batch(self) -> Batch | None:
        """The spool's next batch, else the pending points once due, else a heartbeat."""
        if self.spool is not None and (batch := self.spool.read_next()) is not None:
            self.spooled_points -= batch.points
            return batch
        since = monotonic() - self.last_sent
        full = self.pending_points >= MAX_BATCH
        if full or (self.pending_points and (since >= INTERVAL_S or self.closing.is_set())):
            return self.take_pending()
        return self.take_pending() if self.heartbeat and since >= HEARTBEAT_S else None

    def take_pending(self) -> Batch:
        """The pending points as the next seq's batch."""
        batch = encode(self.seq, self.pending)
        self.seq += 1
        self.pending, self.pending_points = {}, 0
        return batch

    def deliver(self) -> bool:
        """Send the batch in flight; True once it is acknowledged (or refused for good)."""
        assert self.inflight is not None
        self.last_sent = monotonic()
        try:
            self.should_stop = self.sink.send(self.inflight) or self.should_stop
        except Unreachable as exc:
            return self.failed(exc)
        except Refused as exc:
            return self.refusal(exc)
        self.inflight, self.failures = None, 0
        return True

    def failed(self, exc: Exception) -> bool:
        """Try again later, waiting longer after each failure in a row."""
        self.failures += 1
        self.retry_at = monotonic() + min(RETRY_MAX_S, 0.05 * 2**self.failures)
        self.warn_once("unreachable", f"{exc}; keeping the points and trying again")
        return False

    def refusal(self, exc: Refused) -> bool:
        """A batch the server will never take: send an empty one in its place (its seq must
        still be stored); a run it will never take points for: stop."""
        assert self.inflight is not None
        if exc.status >= 500 or exc.status in RETRY_STATUSES:
            return self.failed(exc)
        if exc.status in (413, 422):
            self.warn_once(exc.status, f"lossboard dropped {self.inflight.points} points: {exc}")
            self.refused += self.inflight.points
            seq = self.inflight.seq
            self.inflight = Batch(seq, orjson.dumps({"seq": seq, "series": {}}), 0)
            return True
        self.fatal = str(exc)
        self.warn_once("fatal", f"lossboard stopped sending: {exc}")
        return False

    def spill(self, all_of_it: bool = True) -> None:
        """While the server is away, or the spool is replayed, keep at most a batch of points
        in memory; the rest goes to the spool, after what it holds already."""
        while self.pending_points >= MAX_BATCH or (
            all_of_it and self.pending_points and not self.queue
        ):
            if self.spool is None:
                self.spool = self.make_spool()
            batch = self.take_pending()
            self.spool.write(batch.seq, batch.body, batch.points)
            self.spooled_points += batch.points
            self.drain()

    def stop(self) -> None:
        """End the thread now and put whatever it still holds in the spool."""
        self.abort.set()
        self.thread.join()
        self.drain()
        while self.pending_points or self.queue:
            self.spill()
        if self.inflight is not None and self.inflight.points:
            self.spool = self.spool or self.make_spool()
            self.spool.write(self.inflight.seq, self.inflight.body, self.inflight.points)
            self.spooled_points += self.inflight.points
        self.inflight = None

    @property
    def undelivered(self) -> int:
        """Points taken off the queue and not stored by the server (yet)."""
        inflight = self.inflight.points if self.inflight else 0
        return self.pending_points + inflight + self.spooled_points + self.refused

    def warn_once(self, key: int | str, message: str) -> None:
        if key not in self.warned:
            self.warned.add(key)
            log.warning(message)


Columns = dict[str, tuple[list[int], list[float], list[float]]]  # name: steps, values, times


def encode(seq: int, series: Columns) -> Batch:
    """A batch as the protocol's JSON body (non-finite values as its strings)."""
    body = {
        name: {"step": steps, "value": [v if v - v == 0 else nonfinite(v) for v in values],
               "time": times}
        for name, (steps, values, times) in series.items()
    }  # fmt: skip
    points = sum(len(steps) for steps, _, _ in series.values())
    return Batch(seq, orjson.dumps({"seq": seq, "series": body}), points)


def nonfinite(value: float) -> Any:
    """NaN and the infinities as the protocol spells them (JSON has no such numbers)."""
    if value != value:
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"
