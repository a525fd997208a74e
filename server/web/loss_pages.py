"""A /losses page written as it is read, a piece of the run at a time.

A page of a million points is about 55 MB of JSON; built whole it was also its arrays, a copy
of its rows and the encoding's buffer, about 100 MB each, held until a slow client had read it
all. Here the page is first planned (how many points, its last step, and what thinning keeps),
then its `step`, `loss` and `time` arrays are each read again and written piece by piece. Only
`LOSSBOARD_MAX_LOSS_PAGES` pieces are worked on at once, by a pool of that many threads,
whichever pages they belong to, so the event loop gets its turn between them and a client that
reads slowly holds nothing but its place.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import orjson

from server.store.sqlite import PIECE_POINTS
from server.training.reads import RunReads
from server.web.decimate import decimate

COLUMNS = ("step", "loss", "time")  # the page's arrays, in the order they are written
Piece = tuple[np.ndarray, np.ndarray, np.ndarray]  # steps, losses, times
# a thinned page's kept points are read into memory (24 bytes each) up to this many; past it
# (max_points of a million), each array's pass picks them from the pieces
HELD_POINTS = 65_536


class PageChanged(RuntimeError):
    """The run changed under a page being written (it was deleted): the answer is cut."""


@dataclass
class Plan:
    """What a page holds: its points up to and including step `last`, and, when thinned,
    which of them (`keep`), already read when they are few (`kept`)."""

    count: int
    last: int
    next_after: int | None
    keep: np.ndarray | None = None  # the indices thinning keeps; None: every point
    kept: Piece | None = None


class LossPage:
    """One /losses page of a run: the points after `after`, the first `limit`, maybe thinned
    to `max_points`."""

    def __init__(
        self, reads: RunReads, run_id: int, after: int, limit: int, max_points: int | None
    ) -> None:
        self.reads, self.run_id = reads, run_id
        self.after, self.limit, self.max_points = after, limit, max_points

    def piece(self, cursor: int, last: int | None) -> Piece | None:
        """The run's next PIECE_POINTS points after step `cursor` (up to step `last`); None
        past the page's end."""
        read = self.reads.losses(self.run_id, cursor, PIECE_POINTS)
        if read is None:
            raise PageChanged(f"run {self.run_id} is gone")
        steps, loss, times = read
        if last is not None and len(steps) and steps[-1] > last:
            end = int(np.searchsorted(steps, last, side="right"))
            steps, loss, times = steps[:end], loss[:end], times[:end]
        return (steps, loss, times) if len(steps) else None

    def plan(self) -> Plan:
        """Count the page's points (one more tells whether a next page is stored); with
        max_points, thin them, which reads the page's losses (8 bytes a point) at once."""
        count, last, next_after, losses = 0, self.after, None, []
        while (piece := self.piece(last, None)) is not None:
            steps, loss, _ = piece
            room = self.limit - count
            if len(steps) > room:  # the page is full, and more are stored
                if room:
                    count, last = self.limit, int(steps[room - 1])
                    losses.append(loss[:room])
                next_after = last
                break
            count, last = count + len(steps), int(steps[-1])
            if self.max_points:
                losses.append(loss)
        plan = Plan(count, last, next_after)
        if self.max_points and count > self.max_points:
            plan.keep = keep = decimate(np.concatenate(losses), self.max_points)
            del losses
            if keep is not None and len(keep) <= HELD_POINTS:  # the usual few thousand
                plan.kept = self.picked(plan)
        return plan

    def picked(self, plan: Plan) -> Piece:
        """The kept points of a thinned page, read in one more pass."""
        columns: list[list[np.ndarray]] = [[], [], []]
        cursor, offset = self.after, 0
        while (piece := self.piece(cursor, plan.last)) is not None:
            picks = self.picks(plan, offset, len(piece[0]))
            for column, values in zip(columns, piece, strict=True):
                column.append(values[picks])
            cursor, offset = int(piece[0][-1]), offset + len(piece[0])
        steps, loss, times = (np.concatenate(column) for column in columns)
        return steps, loss, times

    @staticmethod
    def picks(plan: Plan, offset: int, size: int) -> np.ndarray:
        """Which points of a piece that starts at the page's point `offset` thinning keeps."""
        assert plan.keep is not None
        lo, hi = np.searchsorted(plan.keep, [offset, offset + size])
        return plan.keep[lo:hi] - offset

    def chunks(self, plan: Plan) -> Iterator[bytes]:
        """The page's JSON, as LossesPublic, one piece of one array at a time. Between two
        chunks it holds only where it is: a piece is read again for each array."""
        yield b'{"run_id":%d' % self.run_id
        expected = plan.count if plan.keep is None else len(plan.keep)
        for column, name in enumerate(COLUMNS):
            yield b',"%s":[' % name.encode()
            cursor, offset, written = self.after, 0, 0
            while (step := self.next_text(plan, column, cursor, offset)) is not None:
                text, count, cursor, offset = step
                if count:
                    yield (b"," if written else b"") + text
                    written += count
            if written != expected:
                raise PageChanged(f"run {self.run_id} changed while its page was written")
            yield b"]"
        tail = {"decimated": plan.keep is not None, "next_after": plan.next_after}
        yield b"," + orjson.dumps(tail)[1:]

    def next_text(
        self, plan: Plan, column: int, cursor: int, offset: int
    ) -> tuple[bytes, int, int, int] | None:
        """One array's values in the next piece, encoded without brackets, how many, and the
        cursor and offset after that piece; None past the page's end."""
        if plan.kept is not None:
            values = plan.kept[column][offset : offset + PIECE_POINTS]
            end = offset + len(values)
        else:
            piece = self.piece(cursor, plan.last)
            if piece is None:
                return None
            values, cursor, end = piece[column], int(piece[0][-1]), offset + len(piece[0])
            if plan.keep is not None:
                values = values[self.picks(plan, offset, len(piece[0]))]
        if end == offset:
            return None
        text = orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1]
        return text, len(values), cursor, end


async def page_body(page: LossPage, pool: ThreadPoolExecutor) -> AsyncIterator[bytes]:
    """The page's chunks, each made in turn by one of `pool`'s threads (as many as
    LOSSBOARD_MAX_LOSS_PAGES, their reads mapping the database file: Store.map_reads)."""
    loop = asyncio.get_running_loop()
    plan = await loop.run_in_executor(pool, page.plan)
    chunks = page.chunks(plan)
    while (chunk := await loop.run_in_executor(pool, next, chunks, None)) is not None:
        yield chunk
