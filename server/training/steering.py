"""Steering, which the RunManager holds: pausing, resuming and stepping runs, changing their
hyperparameters while they train, writing their checkpoints, and their trained models.

A run whose loop offers state hooks (registry.LoopConfig.steps) checkpoints every
`checkpoint_every_s`, on pause and on a graceful stop. A checkpoint at step k is written only
once the run's losses before k are committed (it waits behind them in the store's queue), so
the latest checkpoint never runs ahead of the stored losses; resume drops what was stored from
its step on and computes it again, so every step is stored once.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from server.exceptions import Conflict, NotFound, Refused
from server.protocol import RESUMABLE_STATUSES
from server.store import recovery
from server.store.sqlite import WAIT_S
from server.store.sweeps import read_sweep
from server.system.runs import Sampled
from server.training import registry
from server.training.drive import Batch, Change, Checkpoint, Control, to_bytes
from server.training.run import Gate, Run, progress
from server.training.spec import ConfigError, TrainConfig

if TYPE_CHECKING:  # the manager holds a Steering, made with itself
    from server.training.manager import RunManager

log = logging.getLogger("lossboard.steering")
SERIES = {"learning_rate": "lr"}  # the series a hyperparameter's values are recorded in
MAX_EVENTS = 1000  # hyperparameter changes one run may take


class ModelMissing(Refused):
    """A run with no model to download."""

    status = 404


@dataclass
class WriteFigures:
    """The checkpoint writer's figures, for /metrics."""

    written: int = 0
    failed: int = 0
    seconds: float = 0.0  # all writes together
    last_bytes: int = 0
    last_seconds: float = 0.0


class CheckpointWriter:
    """One thread that writes runs' checkpoints to disk, in the order they are handed to it."""

    def __init__(self, manager: RunManager, on_written: Any) -> None:
        self.checkpoints = manager.checkpoints
        self.on_written = on_written
        self.figures = WriteFigures()
        self._queue: queue.Queue[tuple[Run, Checkpoint] | None] = queue.Queue()
        self._pending: Counter[int] = Counter()
        self._done = threading.Condition()
        self._thread: threading.Thread | None = None

    def expect(self, run_id: int) -> None:
        """A checkpoint of the run is on its way (its losses are still being stored)."""
        with self._done:
            self._pending[run_id] += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="lossboard-checkpoints", daemon=True
                )
                self._thread.start()

    def put(self, run: Run, checkpoint: Checkpoint | None) -> None:
        """Write an expected checkpoint (None: it will not come, its losses were lost)."""
        if checkpoint is None:
            self._settle(run.id)
        else:
            self._queue.put((run, checkpoint))

    def wait(self, run_id: int, timeout: float = WAIT_S) -> bool:
        """Wait until the run's expected checkpoints are on disk; False on a timeout."""
        with self._done:
            return self._done.wait_for(lambda: not self._pending[run_id], timeout)

    def close(self, timeout: float) -> None:
        """Write every checkpoint expected (their losses first reach the store), then stop."""
        with self._done:
            self._done.wait_for(lambda: not self._pending, timeout)
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)

    def _loop(self) -> None:
        while (item := self._queue.get()) is not None:
            run, checkpoint = item
            try:
                written = self.checkpoints.write(
                    run.id, checkpoint.step, checkpoint.save, checkpoint.model
                )
            except Exception:  # a full disk: the earlier checkpoint stays, the run goes on
                log.exception("run %s: its checkpoint at step %s failed", run.id, checkpoint.step)
                self.figures.failed += 1
            else:
                figures = self.figures
                figures.written += 1
                figures.seconds += written.seconds
                figures.last_bytes, figures.last_seconds = written.bytes, written.seconds
                self.on_written(run, checkpoint, written)
            self._settle(run.id)

    def _settle(self, run_id: int) -> None:
        with self._done:
            self._pending[run_id] -= 1
            if self._pending[run_id] <= 0:
                del self._pending[run_id]
            self._done.notify_all()


class Steering:
    """Pause, resume, step, hyperparameter changes, checkpoints and models, for the manager's
    runs (its live ones in memory, the others in its store)."""

    def __init__(self, manager: RunManager, checkpoint_every_s: float) -> None:
        self.manager = manager
        self.store = manager.store
        self.checkpoints = manager.checkpoints
        self.every_s = checkpoint_every_s
        self.writer = CheckpointWriter(manager, self._written)
        self._live = manager._live  # the manager's own dict, which it shares with its reads

    # the manager's side

    def prepare(self, run: Run) -> None:
        """Give a new run its control: the checkpoint period and its request's changes."""
        run.control.checkpoint_every_s = self.every_s
        run.control.schedule = schedule_of(run.request)

    def ready(self, run: Run) -> Control:
        """The run's control as its loop starts: with the checkpoint it resumes from, read now."""
        control = run.control
        if run.resume_at is not None:
            step, run.resume_at = run.resume_at, None
            self.writer.wait(run.id)
            state = self.checkpoints.load(run.id, step) if step else None
            control.resume = registry.Saved(step, state) if state is not None else None
            control.time_offset = run.times[len(run.times) - 1] if run.times else 0.0
        return control

    def rewind(self, run: Run, step: int) -> int:
        """The loop went on from `step`, before the run's last loss: forget the rest, in
        memory and in the store; the step from which the run's losses are still to be stored."""
        self.store.flush()
        with self.manager._lock:
            del run.losses[step:], run.times[step:]
            run.params = [(s, p) for s, p in run.params if s < step]
            run.samples = [s for s in run.samples if s.step < step]
            run.samples_stored = min(run.samples_stored, len(run.samples))
            run.best_loss = min(run.losses) if run.losses else None
        self.store.submit(lambda conn: recovery.keep_before(conn, run.id, step)).result(WAIT_S)
        self.checkpoints.drop_after(run.id, step)
        return step

    def changed(self, run: Run, batch: Batch) -> None:
        """A batch's hyperparameter changes: the run's events, request and series points."""
        for change, old in batch.changes:
            self._record(run, change, old)
        if batch.changes:
            self.store.update_run(run.id, {"events": run.events, "request": run.request})
            self.manager._notify(run, "status")

    def checkpointed(self, run: Run, batch: Batch) -> None:
        """A batch's checkpoints, written once the losses handed to the store before them are
        committed."""
        for checkpoint in batch.checkpoints:
            self.writer.expect(run.id)
            behind = self.store.submit(lambda conn: None)  # after the losses before it

            def write(done: Any, checkpoint: Checkpoint = checkpoint) -> None:
                self.writer.put(run, None if run.lost else checkpoint)

            behind.add_done_callback(write)

    def lost(self, run: Run) -> int:
        """Its node was lost: the step it goes on from (its last checkpoint's, which came back
        through its stream), with what it did after forgotten."""
        step = self._resume_point(run)
        if step < len(run.losses):
            self.rewind(run, step)
        return step

    def held(self, run: Run) -> None:
        """The run paused at a step boundary (called with the manager's lock held): it frees
        its lane, and its sweep's gate lets the next run in."""
        run.status, run.stop, run.finished_at = "paused", None, None
        self.store.update_run(run.id, {**progress(run), "status": "paused", "error": None})
        for released in run.gate.leave(run) if run.gate else ():
            self.manager._enqueue(released)
        self.manager._notify(run, "status")

    def forget(self, run_id: int) -> None:
        """A deleted run: its files go too."""
        self.writer.wait(run_id)
        self.checkpoints.delete(run_id)

    def close(self, timeout: float) -> None:
        self.writer.close(timeout)

    # the API's verbs

    def pause(self, run_id: int) -> dict:
        """Ask a running run to pause at its next step boundary; the run as it is now."""
        run = self._live.get(run_id)
        if run is None or run.status != "running":
            status = run.status if run is not None else self._stored(run_id)["status"]
            raise Conflict(f"run {run_id} is {status}: only a running run can be paused")
        if run.hooks is False:
            raise Conflict(no_hooks(run))
        self.manager._stop(run, "paused")
        return self.manager.reads.public(run)

    def resume(self, run_id: int, steps: int | None = None) -> dict:
        """Queue a paused or interrupted run again at the front of its lane, to go on from its
        last checkpoint (from step 0 without one); with `steps`, only that many more, then it
        pauses again. What resumes it and from where."""
        run = self._live.get(run_id)
        if run is None:
            row = self._stored(run_id)
            self._check_resumable(row)
            run = self.revive(row)
        elif run.status not in RESUMABLE_STATUSES:
            raise Conflict(
                f"run {run_id} is {run.status}: only a paused or interrupted run resumes"
            )
        step = run.resume_at if run.resume_at is not None else self._resume_point(run)
        if steps is not None:
            left = run.config.iterations - step
            if steps > left:
                raise ConfigError(
                    "n", f"run {run_id} has {left} of its {run.config.iterations} steps left, "
                    f"from step {step}: n must be at most {left}"
                )  # fmt: skip
            run.control.pause_at = step + steps
        else:
            run.control.pause_at = None
        if step < len(run.losses):
            self.rewind(run, step)
        run.resume_at = step
        self._queue([run], front=True)
        answer = {"run": self.manager.reads.public(run), "step": step, "checkpoint": step > 0}
        answer["message"] = (
            f"run {run_id} goes on from its checkpoint at step {step}"
            if step
            else f"run {run_id} has no checkpoint: it starts again from step 0"
        )
        return answer

    def resume_left(self) -> list[int]:
        """At start: resume the runs the stopped server left queued or running (those the
        store marked interrupted as it opened); the ids resumed."""
        runs = []
        for run_id in self.store.interrupted:
            row = self.store.get_run(run_id)
            if row is None or row["source"] != "job":
                continue
            try:
                run = self.revive(row)
            except Refused as exc:
                log.warning("run %s stays interrupted: %s", run_id, exc)
                continue
            run.resume_at = self._resume_point(run)
            if run.resume_at < len(run.losses):
                self.rewind(run, run.resume_at)
            runs.append(run)
        gates: dict[int, Gate | None] = {}
        for sweep_id in {run.sweep_id for run in runs if run.sweep_id is not None}:
            sweep = read_sweep(self.store, sweep_id)
            limit = (sweep or {}).get("spec", {}).get("max_parallel")
            gates[sweep_id] = Gate(limit) if limit else None
        for sweep_id, group in itertools.groupby(
            sorted(runs, key=lambda r: (r.sweep_id or 0, r.id)), key=lambda r: r.sweep_id
        ):
            self._queue(list(group), gate=gates.get(sweep_id) if sweep_id else None)
        if runs:
            log.info("resumed %d run(s) the stopped server left", len(runs))
        return [run.id for run in runs]

    def hyper(self, run_id: int, values: dict[str, float]) -> dict:
        """Change hyperparameters of a running run (at its next step boundary) or a paused one
        (from the step it resumes at); the run, and the changes asked for."""
        run = self._live.get(run_id)
        if run is None:
            row = self._stored(run_id)
            if row["status"] != "paused" or row["source"] != "job":
                raise Conflict(no_hyper(run_id, row["status"]))
            self._check_resumable(row)
            run = self.revive(row)  # paused by a server before this one: held here from now
            run.resume_at = self._resume_point(run)
            with self.manager._lock:
                self._live[run.id] = run
        variant = registry.variant(run.config.variant)
        for name in values:
            if name not in variant.hyper:
                takes = ", ".join(variant.hyper)
                raise ConfigError(name, f"the {variant.id} variant changes only {takes} live")
        if run.status not in ("running", "paused"):
            raise Conflict(no_hyper(run_id, run.status))
        if run.hooks is False:
            raise Conflict(no_hooks(run))
        if len(run.events) + len(values) > MAX_EVENTS:
            raise Conflict(f"run {run_id} has had {len(run.events)} changes: {MAX_EVENTS} at most")
        if run.status == "running":
            run.control.live.extend(values.items())
            self.manager.executor.signal(run.id, None, list(values.items()))
        else:
            step = run.resume_at if run.resume_at is not None else self._resume_point(run)
            run.resume_at = step
            for name, value in values.items():
                change = Change(step, name, value)
                run.control.schedule.append(change)
                self._record(run, change, self._current(run, name), series=False)
            self.store.update_run(run.id, {"events": run.events, "request": run.request})
            self.manager._notify(run, "status")
        return {"run": self.manager.reads.public(run), "changes": values}

    def model(self, run_id: int) -> tuple[int, Path | bytes]:
        """The run's trained model, and the step whose loss it gave: a finished run's final
        one, or a running or paused run's latest checkpoint's."""
        if self.manager.reads.get(run_id) is None:
            raise NotFound("run", run_id)
        self.writer.wait(run_id)  # a run that just finished may still be writing its model
        found = self.checkpoints.model(run_id)
        if found is not None:
            return found
        step = self.checkpoints.latest(run_id)
        if step is None:
            raise ModelMissing(
                f"run {run_id} has no model: its loop offers no state hooks, or it has not "
                "checkpointed yet"
            )
        state = self.checkpoints.load(run_id, step)
        return step, to_bytes(state.get("model", state))

    # inside

    def revive(self, row: dict) -> Run:
        """A stored run as a live one again, paused, with its stored losses (Conflict if this
        server cannot train it now)."""
        run_id = row["id"]
        try:
            config = TrainConfig.from_dict(row["config"])
            device = self.manager.executor.resolve_device(config.device, config.variant)
        except (TypeError, KeyError, ConfigError) as exc:
            raise Conflict(f"run {run_id} cannot run on this server now: {exc}") from None
        run = Run(
            id=run_id,
            config=TrainConfig.from_dict({**row["config"], "device": device}),
            name=row["name"],
            status="paused",
            created_at=row["created_at"],
            started_at=row["started_at"],
            sweep_id=row["sweep_id"],
            sweep_params=row["sweep_params"],
            request=row["request"] or {"variant": config.variant},
            notes=row["notes"],
            tags=row["tags"],
            rerun_of=row["rerun_of"],
            events=list(row["events"] or []),
            checkpoint=row["checkpoint"],
        )
        self.prepare(run)
        for event in run.events:
            run.hyper[event["field"]] = event["new"]
        for _, loss, times in self.store.iter_losses(run_id):
            run.losses.extend(loss.tolist())
            run.times.extend(times.tolist())
        run.best_loss = min(run.losses) if run.losses else None
        run.params = self.store.read_params(run_id)
        return run

    def _resume_point(self, run: Run) -> int:
        """The step a run resumes at: its last checkpoint that the stored losses reach."""
        self.writer.wait(run.id)
        self.store.flush()
        return self.checkpoints.latest(run.id, at_most=len(run.losses)) or 0

    def _queue(self, runs: list[Run], front: bool = False, gate: Gate | None = None) -> None:
        """Put runs (live, or revived) in their lanes again, queued."""
        manager = self.manager
        for run in runs:
            run.status, run.stop, run.finished_at, run.error = "queued", None, None, None
            update = {"status": "queued", "error": None, "finished_at": None, **progress(run)}
            manager.store.update_run(run.id, update)
        with manager._lock:
            for run in runs:
                manager._live[run.id] = run
                run.gate = gate or run.gate
            free = [run for run in runs if run.gate is None]
            by_gate: dict[int, tuple[Gate, list[Run]]] = {}  # one sweep's runs share a gate
            for run in runs:
                if run.gate is not None:
                    by_gate.setdefault(id(run.gate), (run.gate, []))[1].append(run)
            for held_by, group in by_gate.values():
                free += held_by.admit(group)
            for run in free:
                manager._enqueue(run, front=front)
        for run in runs:
            manager._notify(run, "status")

    def _record(self, run: Run, change: Change, old: float | None, series: bool = True) -> None:
        """Record a change as the run's event (once: a resumed run replays its schedule), in
        its request's schedule, and (`series`) as a point of its series."""
        first = not any(e["field"] == change.field and e["step"] < change.step
                        for e in run.events)  # fmt: skip
        known = any(
            (e["step"], e["field"], e["new"]) == (change.step, change.field, change.value)
            for e in run.events
        )
        if not known:
            run.events.append({"step": change.step, "field": change.field, "old": old,
                               "new": change.value, "time": time.time()})  # fmt: skip
            assert run.request is not None
            schedule = run.request.setdefault("schedule", [])
            if change.as_dict() not in schedule:
                schedule.append(change.as_dict())
        run.hyper[change.field] = change.value
        if not series:
            return
        name = SERIES.get(change.field, change.field)
        at = run.times[len(run.times) - 1] if run.times else 0.0
        if first and old is not None and change.step > 0:  # the value it had from the start
            run.samples.append(Sampled(0, 0.0, {name: old}))
        run.samples.append(Sampled(change.step, at, {name: change.value}))

    def _current(self, run: Run, name: str) -> float | None:
        """A paused run's hyperparameter as it goes on with it: as last changed, else as its
        checkpoint holds it, else as its config gave it."""
        if name in run.hyper:
            return run.hyper[name]
        step = run.resume_at if run.resume_at is not None else self._resume_point(run)
        value = self.checkpoints.load(run.id, step).get(name) if step else None
        value = run.config.as_dict().get(name) if value is None else value
        return float(value) if isinstance(value, (int, float)) else None

    def _stored(self, run_id: int) -> dict:
        row = self.manager.reads.get(run_id)
        if row is None:
            raise NotFound("run", run_id)
        return row

    def _check_resumable(self, row: dict) -> None:
        if row["source"] == "sdk":
            raise Conflict(
                f"run {row['id']} was logged by a script: the server keeps no loop nor "
                "checkpoint of it (run the script again, with resume)"
            )
        if row["status"] not in RESUMABLE_STATUSES:
            raise Conflict(
                f"run {row['id']} is {row['status']}: only a paused or interrupted run resumes"
            )

    def _written(self, run: Run, checkpoint: Checkpoint, written: Any) -> None:
        if checkpoint.model:  # it completed: its checkpoints were only for resuming it
            self.checkpoints.drop_after(run.id, -1, keep_model=True)
            run.checkpoint = None  # none is left to resume from; GET /model has its weights
            self.store.update_run(run.id, {"checkpoint": None})
            return
        run.checkpoint = written.public()
        self.store.update_run(run.id, {"checkpoint": run.checkpoint})
        self.manager._notify(run, "status")  # its page says where it would go on from


def schedule_of(request: dict | None) -> list[Change]:
    """The hyperparameter changes a run's request holds, to make at their steps."""
    return [Change(**change) for change in (request or {}).get("schedule") or []]


def no_hooks(run: Run) -> str:
    return (
        f"run {run.id}'s variant {run.config.variant} offers no state() and load_state(), so "
        "it can neither pause nor change its hyperparameters: cancel it instead"
    )


def no_hyper(run_id: int, status: str) -> str:
    return f"run {run_id} is {status}: hyperparameters change while a run runs or is paused"
