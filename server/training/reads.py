"""RunReads: what the RunManager answers about runs, live ones from memory and the rest from the
store; the manager holds one (`manager.reads`) and itself queues, trains, cancels and deletes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from server.store import series
from server.store.series import Points
from server.store.sqlite import Store
from server.training.executors import Executor
from server.training.run import Run


class RunReads:
    """The read side of runs, over the manager's store, executor, live runs and lanes (the
    manager's own dicts, which it alone changes)."""

    def __init__(
        self, store: Store, executor: Executor, live: dict[int, Run], lanes: dict[str, int]
    ) -> None:
        self.store = store
        self.executor = executor
        self._live = live
        self._lanes = lanes

    def get(self, run_id: int) -> dict | None:
        """A run as the API shows it, live or from the store."""
        run = self._live.get(run_id)
        return self.public(run) if run else self.store.get_run(run_id)

    def public(self, run: Run, places: dict[int, dict] | None = None) -> dict:
        """A live run as the API shows it, with its place in the queue while it waits (from
        `places` when the caller has them, for many runs at once)."""
        if run.status != "queued":
            return {**run.public(), "queue": None}
        places = self.queue_places() if places is None else places
        return {**run.public(), "queue": places.get(run.id)}

    def list_runs(self, **query: Any) -> tuple[list[dict], int]:
        """Store.list_runs's page of runs, with the live ones as they are now."""
        rows, total = self.store.list_runs(**query)
        places = self.queue_places()
        for i, row in enumerate(rows):
            if (run := self._live.get(row["id"])) is not None:
                rows[i] = self.public(run, places)
        return rows, total

    def queued(self) -> dict[str, int]:
        """How many runs wait in each lane (a device locally; cpu or cuda under Ray)."""
        waiting = dict.fromkeys(self._lanes, 0)
        for run in self.live_runs():
            if run.status == "queued":
                waiting[self.executor.lane(run.config.device)] += 1
        return waiting

    def queue_places(self) -> dict[int, dict]:
        """Each run in a lane's queue: its lane, and how many runs wait there before it (runs a
        sweep's gate still holds back are in no lane yet)."""
        places: dict[int, dict] = {}
        waiting: dict[str, int] = {}
        queued = [
            run for run in self.live_runs() if run.status == "queued" and run.turn is not None
        ]
        for run in sorted(queued, key=lambda run: run.turn or 0):
            lane = self.executor.lane(run.config.device)
            places[run.id] = {"lane": lane, "ahead": waiting.get(lane, 0)}
            waiting[lane] = waiting.get(lane, 0) + 1
        return places

    def live_run(self, run_id: int) -> Run | None:
        """The in-memory run while it is queued or running (or just finished, not yet stored)."""
        return self._live.get(run_id)

    def live_runs(self) -> list[Run]:
        """Every run queued or running now."""
        return list(self._live.values())

    def losses(
        self, run_id: int, after: int = -1, limit: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Steps, losses and times of the steps after `after` (the first `limit` of them), or
        None for an unknown run."""
        run = self._live.get(run_id)
        if run is not None:
            return run.read(after, limit)
        row = self.store.get_run(run_id)
        if row is None:
            return None
        if row["source"] == "sdk":  # a script's `loss` is a series like its others
            points = series.read(self.store.reader(), run_id, "loss", after, limit)
            return points.step, points.value, points.time
        return self.store.read_losses(run_id, after, limit)

    def series_list(self, run_id: int) -> list[dict] | None:
        """Each series of a run: name, count, last and lowest finite value; None if unknown.
        A job run's `loss` is summed up by its progress columns; its `system/` series are
        stored ones."""
        row = self.get(run_id)
        if row is None:
            return None
        stored = series.summary(self.store.reader(), run_id)
        if row["source"] == "sdk":
            return stored
        return [{"name": "loss", "count": row["iteration"], "last": row["last_loss"],
                 "min": row["best_loss"]}, *stored]  # fmt: skip

    def series_points(
        self, run_id: int, name: str, after: int = -1, limit: int | None = None
    ) -> Points | None:
        """A series' points after `after` (the first `limit`); None for an unknown run, and
        empty for a series it does not have."""
        if name == "loss":
            read = self.losses(run_id, after, limit)
            return None if read is None else Points(*read)
        if self.get(run_id) is None:
            return None
        return series.read(self.store.reader(), run_id, name, after, limit)

    def params(
        self, run_id: int, after: int = -1, limit: int | None = None
    ) -> list[tuple[int, dict[str, float]]] | None:
        """A fit's stored parameters at the steps after `after` (the first `limit`), or None for
        an unknown run."""
        run = self._live.get(run_id)
        if run is not None:
            return [(s, p) for s, p in run.params if s > after][:limit]
        if self.store.get_run(run_id) is None:
            return None
        return self.store.read_params(run_id, after, limit)

    def loss_pieces(self, run_id: int) -> Iterator[tuple[np.ndarray, ...]] | None:
        """Every loss of a run so far, in pieces of bounded size (for a download), or None."""
        run = self._live.get(run_id)
        if run is not None:
            return run.pieces(len(run.times))
        row = self.store.get_run(run_id)
        if row is None:
            return None
        if row["source"] == "sdk":
            return as_tuples(series.pieces(self.store.reader, run_id, "loss"))
        return self.store.iter_losses(run_id)

    def series_pieces(self, run_id: int, name: str) -> Iterator[tuple[np.ndarray, ...]]:
        """A series' points as (steps, values, times) pieces of bounded size (for a download)."""
        if name == "loss" and (pieces := self.loss_pieces(run_id)) is not None:
            return pieces
        return as_tuples(series.pieces(self.store.reader, run_id, name))


def as_tuples(pieces: Iterator[Points]) -> Iterator[tuple[np.ndarray, ...]]:
    """Points as the (steps, values, times) tuples that downloads take."""
    return ((piece.step, piece.value, piece.time) for piece in pieces)
