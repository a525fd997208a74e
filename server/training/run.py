"""A run while it is queued, running or paused: its config, state, and every loss so far, in
memory; and the Gate that holds a sweep's runs back."""

from __future__ import annotations

import time
from array import array
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from server.protocol import FINISHED_STATUSES
from server.store.sqlite import PIECE_POINTS
from server.system.runs import Sampled, peaks
from server.training.drive import Control
from server.training.spec import TrainConfig

# System samples stored as one row of each series: a sample every 2 s is one a 32 s (a live
# run's page has the newer ones from its socket, which sends them from memory)
SAMPLES_PER_ROW = 16
STOP_ERRORS = {
    "cancelled": None,
    "interrupted": "the server stopped while the run was {status}",
    "pruned": None,  # its sweep's pruner stopped it: a verdict on the point, not an error
}


@dataclass(eq=False)
class Run:
    """A queued or running run: its config, state, and every loss so far (in memory)."""

    id: int
    config: TrainConfig
    name: str | None
    status: str = "queued"
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    best_loss: float | None = None
    losses: array = field(default_factory=lambda: array("d"))
    times: array = field(default_factory=lambda: array("d"))
    params: list[tuple[int, dict[str, float]]] = field(default_factory=list)  # a fit's, by step
    stop: str | None = None  # "cancelled", "interrupted" or "pruned", set from another thread
    worker: dict | None = None  # where it trains, once it has started
    sweep_id: int | None = None
    sweep_params: dict | None = None  # the swept values of its sweep's point
    request: dict | None = None  # the RunSpec as submitted (device as asked, seed maybe None)
    notes: str = ""
    tags: list[str] = field(default_factory=list)
    rerun_of: int | None = None  # the run it was run again from
    gate: Gate | None = None  # its sweep's cap on runs training at once
    turn: int | None = None  # its order in its lane's queue, once in it (a gate may hold it first)
    lost: str | None = None  # why its later losses could not be stored (a full disk)
    kept: int | None = None  # with `lost`, how many of its losses the store holds
    samples: list[Sampled] = field(default_factory=list)  # the system sampler's, by step
    samples_stored: int = 0  # how many of them the store has been handed
    peak_rss_bytes: int | None = None  # its process's, locally the server's (system/rss_bytes)
    cuda_peak_bytes: int | None = None  # torch's peak allocated on its device
    control: Control = field(default_factory=Control)  # checkpoints, pause, hyperparameters
    hooks: bool | None = None  # its loop offers state hooks (known once it has started)
    events: list[dict] = field(default_factory=list)  # its hyperparameter changes
    checkpoint: dict | None = None  # its last checkpoint on disk (Written.public())
    hyper: dict[str, float] = field(default_factory=dict)  # hyperparameters changed, as now
    resume_at: int | None = None  # the step it goes on from when it next starts
    node_losses: int = 0  # Ray nodes lost under it: the first resumes it, the second fails it

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    def iterations_per_second(self) -> float | None:
        """Iterations done per second of training so far (its loop's own time: a paused or
        resumed run does not count the time it waited)."""
        if self.started_at is None or not self.times:
            return None
        elapsed = self.times[len(self.times) - 1]
        return len(self.times) / elapsed if elapsed > 0 else None

    def take_samples(self, samples: list[Sampled]) -> None:
        """Keep a batch's system samples, and raise the run's peaks with them."""
        known = {"peak_rss_bytes": self.peak_rss_bytes, "cuda_peak_bytes": self.cuda_peak_bytes}
        found = peaks(samples, known)
        self.peak_rss_bytes, self.cuda_peak_bytes = found.values()
        self.samples.extend(samples)

    def unstored_samples(self, final: bool) -> list[Sampled]:
        """The samples not yet handed to the store, counted as handed now: SAMPLES_PER_ROW at
        least, or the rest at the run's end (a kill loses fewer than that many)."""
        samples = self.samples[self.samples_stored :]
        if len(samples) < (1 if final else SAMPLES_PER_ROW):
            return []
        self.samples_stored += len(samples)
        return samples

    def read(
        self, after: int = -1, limit: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Steps, losses and times of the steps after `after` (the first `limit` of them)."""
        end = len(self.times)  # the worker appends a time after its loss: both hold `end`
        start = min(max(after + 1, 0), end)
        end = end if limit is None else min(end, start + limit)
        loss, times = np.array(self.losses[start:end]), np.array(self.times[start:end])
        return np.arange(start, end), loss, times

    def pieces(self, end: int) -> Iterator[tuple[np.ndarray, ...]]:
        """The first `end` steps in store-sized pieces (copies: the worker appends on)."""
        for start in range(0, end, PIECE_POINTS):
            yield self.read(start - 1, min(PIECE_POINTS, end - start))

    def public(self) -> dict:
        """The run as the API shows it (RunPublic's fields)."""
        return {
            "id": self.id,
            "variant": self.config.variant,
            "name": self.name,
            "config": self.config.as_dict(),
            "device": self.config.device,
            "status": self.status,
            "error": self.error,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "worker": self.worker,
            "sweep_id": self.sweep_id,
            "sweep_params": self.sweep_params,
            "request": self.request,
            "notes": self.notes,
            "tags": self.tags,
            "rerun_of": self.rerun_of,
            "source": "job",
            "primary": "loss",
            "events": self.events,
            "checkpoint": self.checkpoint,
            **progress(self),
        }

    def row(self) -> dict:
        """The columns the store keeps for this run."""
        out = self.public()
        del out["id"]
        return out


class Gate:
    """Holds a group's runs back so that at most `limit` of them are past it at a time."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._passed: set[Run] = set()
        self._waiting: deque[Run] = deque()

    def admit(self, runs: list[Run]) -> list[Run]:
        """Take new runs: those that may go to their lane's queue now (the rest wait here)."""
        self._waiting.extend(runs)
        return self._release()

    def leave(self, run: Run) -> list[Run]:
        """A run of the group ended: the waiting runs that may go in its place."""
        self._passed.discard(run)
        return self._release()

    def _release(self) -> list[Run]:
        out = []
        while self._waiting and len(self._passed) < self.limit:
            run = self._waiting.popleft()
            if run.stop is None:  # a run stopped while it waited has already ended
                self._passed.add(run)
                out.append(run)
        return out


def progress(run: Run) -> dict:
    """The columns that change while a run trains (called each tick: no config copy)."""
    kept = len(run.losses) if run.kept is None else run.kept
    return {
        "iteration": kept,
        "last_loss": run.losses[kept - 1] if kept else None,
        "best_loss": run.best_loss,
        "iterations_per_second": run.iterations_per_second(),
        "finished_at": run.finished_at,
        "peak_rss_bytes": run.peak_rss_bytes,
        "cuda_peak_bytes": run.cuda_peak_bytes,
    }


def stop_error(run: Run, stop: str) -> str | None:
    """Why a run stopped early with `stop`, when it was not the user's own cancel."""
    template = STOP_ERRORS[stop]
    return template.format(status=run.status) if template else None
