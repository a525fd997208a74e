"""RunManager: a FIFO queue per lane and named threads that train its runs through an executor."""

from __future__ import annotations

import bisect
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

from server.exceptions import Conflict
from server.protocol import FINISHED_STATUSES, LIVE_STATUSES
from server.store.checkpoints import Checkpoints
from server.store.disk import DiskFull
from server.store.sqlite import WAIT_S, Store
from server.system.malloc import Trimmer
from server.system.runs import store_samples
from server.training.caps import Caps
from server.training.devices import Device, release_device_memory
from server.training.drive import KEEPING, Batch, Ended
from server.training.executors import Executor, LocalExecutor, Worker
from server.training.reads import RunReads
from server.training.run import STOP_ERRORS, Gate, Run, progress, stop_error
from server.training.spec import ConfigError, RunSpec, rerun_spec, resolve
from server.training.steering import Steering, schedule_of

# How often a running run hands its losses to the store: a kill loses at most this much of it.
# Each store tick is a SQLite transaction on the writer thread, so not every 50 ms.
STORE_TICK_S = 0.5
Listener = Callable[[Run, str], None]
Record = Callable[[list[dict]], list[int]]  # stores runs' rows, all or none; their ids
log = logging.getLogger("lossboard.runs")
FRONT = 2**62  # a turn this much earlier puts a run before every run queued the usual way
Entry = tuple[float, int, "Run | None"]  # a lane's queue orders by turn; None stops a thread


class RunConflict(Conflict):
    """A request that the run's state forbids (deleting a run that is still going)."""


class RunManager:
    """The one way into runs: queues them per lane, trains them through the executor on named
    threads, and answers for live and stored runs alike; every loss goes to the store.

    Without an executor it trains on this machine (LocalExecutor) with `workers_per_device`
    threads for each of `devices`; 0 leaves the training to `run_queued`.
    """

    def __init__(
        self,
        store: Store,
        *,
        executor: Executor | None = None,
        workers_per_device: int = 1,
        caps: Caps | None = None,
        devices: list[Device] | None = None,
        checkpoint_every_s: float = 0,
    ) -> None:
        self.store = store
        self.executor = executor or LocalExecutor(devices, workers_per_device)
        self.caps = caps or Caps()
        self._lanes: dict[str, int] = {}
        self._live: dict[int, Run] = {}
        self._lock = threading.Lock()
        self._admit = threading.Lock()
        self._turns = itertools.count()  # the order runs enter the lanes' queues
        self._queues: dict[str, queue.PriorityQueue[Entry]] = {}
        self._threads: list[threading.Thread] = []
        self._listeners: list[Listener] = []
        self._closed = False
        self.trim = Trimmer()  # a finished run's freed memory, handed back to the system
        self.reads = RunReads(store, self.executor, self._live, self._lanes)
        self.checkpoints = Checkpoints(store.path.parent)
        self.steering = Steering(self, checkpoint_every_s)

    @property
    def devices(self) -> list[Device]:
        """The devices runs can ask for (for Ray, the whole cluster's)."""
        return self.executor.devices()

    def start(self) -> None:
        """Start the executor, then as many threads for each lane as it may train at once."""
        self.executor.start()
        self._lanes.update(self.executor.lanes())
        for lane, slots in self._lanes.items():
            q: queue.PriorityQueue[Entry] = queue.PriorityQueue()
            self._queues[lane] = q
            for i in range(slots):
                name = f"lossboard-run-{lane}-{i}"
                thread = threading.Thread(target=self._work, args=(q,), name=name, daemon=True)
                thread.start()
                self._threads.append(thread)

    def close(self, timeout: float = 10.0) -> None:
        """Stop: queued and running runs end `interrupted` (a running one that can, with a
        checkpoint); paused ones stay paused; wait for the workers. Once only."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            live = [run for run in self._live.values() if run.status != "paused"]
        for run in live:
            self._stop(run, "interrupted")
        for lane, q in self._queues.items():
            for _ in range(self._lanes[lane]):
                q.put(self._stop_entry())
        for thread in self._threads:
            thread.join(timeout)
        self.steering.close(timeout)  # the checkpoints those stops took reach the disk
        self.executor.close()
        self.store.flush(timeout)

    def run_queued(self, device: str) -> None:
        """Train the runs queued on `device` on the calling thread, until none is left.

        For a manager with no worker threads: a script or benchmark that keeps every torch
        call on one thread. (Torch's OpenMP gives each thread that computes a thread team of
        its own, and while a process has two, their threads sleep between operations where
        they would spin: the `nn` loop took 2.2 times as long.)
        """
        lane = self.executor.lane(device)
        if self._lanes[lane]:
            raise RuntimeError("run_queued is for a manager with workers_per_device=0")
        q = self._queues[lane]
        q.put(self._stop_entry())  # the worker loop's stop: after the runs queued before it
        self._work(q)

    def add_listener(self, listener: Listener) -> None:
        """Call `listener(run, event)` from worker threads: event is "status" or "points"."""
        self._listeners.append(listener)

    # the API's verbs

    def submit(self, spec: RunSpec) -> Run:
        """Validate a request against this machine, record it, and queue it on its device;
        its `rerun_of` names the run it repeats with changes (ConfigError if there is none)."""
        if spec.rerun_of is not None and self.reads.get(spec.rerun_of) is None:
            raise ConfigError("rerun_of", f"there is no run {spec.rerun_of} to run again")
        run = self.prepare(spec)
        run.rerun_of = spec.rerun_of
        self.submit_group([run], lambda rows: [self.store.create_run(rows[0])], None)
        return run

    def prepare(self, spec: RunSpec) -> Run:
        """Validate a request against this machine: the run it makes, not yet recorded."""
        device = self.executor.resolve_device(spec.device, spec.variant)
        self.caps.check_run(spec)
        request = spec.model_dump(mode="json", exclude={"rerun_of"})  # a run's own, not a link
        run = Run(id=0, config=resolve(spec, device), name=spec.name, request=request)
        self.steering.prepare(run)
        return run

    def submit_group(self, runs: list[Run], record: Record, max_parallel: int | None) -> None:
        """Record prepared runs with `record` and queue them, all or none (QueueFull past the
        cap); with `max_parallel`, at most that many of them are queued or train at once."""
        with self._admit:
            if self._closed:
                raise RuntimeError("the run manager is closed")
            self.store.space.refuse()  # DiskFull: a run could not keep its losses
            self.caps.check_queue(sum(self.reads.queued().values()), len(runs))
            for run, run_id in zip(runs, record([run.row() for run in runs]), strict=True):
                run.id = run_id
            gate = Gate(max_parallel) if max_parallel else None
            with self._lock:
                for run in runs:
                    self._live[run.id], run.gate = run, gate
                for run in gate.admit(runs) if gate else runs:
                    self._enqueue(run)
        for run in runs:
            self._notify(run, "status")

    def cancel(self, run_id: int) -> dict | None:
        """Cancel a run: a queued one never starts, a running one stops within one iteration."""
        run = self._live.get(run_id)
        if run is None:
            return self._ask_to_stop(run_id)
        self._stop(run, "cancelled")
        return run.public()

    def _ask_to_stop(self, run_id: int) -> dict | None:
        """A stored run; one a script logs is asked to stop (its client's should_stop), never
        killed: it ends when the script finishes it. One paused by an earlier server ends
        cancelled."""
        row = self.store.get_run(run_id)
        if row is not None and row["source"] == "sdk" and row["status"] != "completed":
            self.store.update_run(run_id, {"stop_requested": 1}).result(WAIT_S)
        elif row is not None and row["status"] == "paused":
            ended = {"status": "cancelled", "finished_at": time.time()}
            self.store.update_run(run_id, ended).result(WAIT_S)
            row = {**row, **ended}
        return row

    def prune(self, run_id: int) -> None:
        """End a live run `pruned` (its sweep's pruner's verdict), as cancel does."""
        if (run := self._live.get(run_id)) is not None:
            self._stop(run, "pruned")

    def rerun(self, run_id: int, changes: dict) -> Run | None:
        """Queue a finished run's request again, with `changes` (a seed) made to it; None if
        there is no such run; RunConflict while it is live or if its request cannot run here."""
        row = self.reads.get(run_id)
        if row is None:
            return None
        if row["source"] == "sdk":
            raise RunConflict(f"run {run_id} was logged by a script: run the script again")
        if row["status"] not in FINISHED_STATUSES:
            raise RunConflict(f"run {run_id} is {row['status']}: it can run again once it ends")
        try:
            spec, request = rerun_spec(row, changes)
            run = self.prepare(spec)
        except ConfigError as exc:  # a request that ran once, but not on this server as it is now
            raise RunConflict(f"run {run_id}'s request cannot run here now: {exc}") from None
        run.request, run.rerun_of = request, run_id
        run.control.schedule = schedule_of(request)
        if row["sweep_id"] is not None:  # it stays in its sweep, which it may now complete
            run.sweep_id, run.sweep_params = row["sweep_id"], row["sweep_params"]
        self.submit_group([run], lambda rows: [self.store.create_run(rows[0])], None)
        return run

    def edit(self, run_id: int, changes: dict) -> dict | None:
        """Change a run's name, notes or tags, live or stored; the run after, or None."""
        with self._lock:
            run = self._live.get(run_id)
            for key, value in changes.items() if run is not None else ():
                setattr(run, key, value)
        if run is None and self.store.get_run(run_id) is None:
            return None
        if changes:
            self.store.update_run(run_id, changes).result(WAIT_S)
        if run is not None:
            self._notify(run, "status")
        return self.reads.get(run_id)

    def delete(self, run_id: int) -> bool:
        """Delete a finished run and its losses; False if there is none, RunConflict if live."""
        row = self.reads.get(run_id)  # a script's run too: it is live until the script finishes it
        if row is not None and row["status"] in LIVE_STATUSES:
            raise RunConflict(f"run {run_id} is {row['status']}: cancel it first")
        live = self._live.get(run_id)
        if live is not None and live.status == "paused":
            raise RunConflict(f"run {run_id} is paused: cancel it first")
        if live is not None:
            self.store.flush()  # just finished: let its last writes land, then delete
        self.steering.forget(run_id)
        return self.store.delete_run(run_id)

    # the worker side

    def _stop(self, run: Run, status: str) -> None:
        with self._lock:
            if run.finished or run.stop:
                return
            run.stop = status
            if run.status in ("queued", "paused"):  # not training: its worker will skip it
                self._finish(run, status, stop_error(run, status))
                return
        if status in KEEPING:  # its loop checkpoints at its next step, then ends
            self.executor.signal(run.id, status, [])
        else:
            self.executor.cancel(run.id)

    def _work(self, q: queue.PriorityQueue[Entry]) -> None:
        while (run := q.get()[2]) is not None:
            with self._lock:
                if run.stop or run.status != "queued":
                    continue
                run.status = "running"
                run.started_at = run.started_at or time.time()  # a resumed run's first start
            self.store.update_run(
                run.id, {"status": "running", "started_at": run.started_at, "error": None}
            )
            self._notify(run, "status")
            status, error = self._train(run)
            if status in STOP_ERRORS:
                error = stop_error(run, status)
            if run.lost:  # its losses stopped reaching the disk: whatever it did after is gone
                status, error = "failed", run.lost
            with self._lock:
                if status == "paused" and not run.lost:
                    self.steering.held(run)
                else:
                    self._finish(run, status, error)
            if q.empty():  # idle: give the GPU's cached memory back (a queue keeps reusing it)
                release_device_memory(run.config.device)

    def _train(self, run: Run) -> Ended:
        """Train the run through the executor; return how it ended. A run whose Ray node or
        worker was lost goes on once from its last checkpoint, wherever Ray puts it."""
        while True:
            status, error = self._train_once(run)
            if status != "lost":
                return status, error
            if run.node_losses or run.stop:
                return "failed", f"{error} (a second loss: the run had resumed once already)"
            run.node_losses += 1
            log.warning("run %s: %s; resuming it from its last checkpoint", run.id, error)
            run.resume_at = self.steering.lost(run)

    def _train_once(self, run: Run) -> Ended:
        """Train the run through the executor, taking in its batches; return how it ended."""
        flushed, next_store = len(run.losses), 0.0  # a resumed run's earlier losses are stored
        ended: Ended = "failed", "the executor ended the run without saying how"
        control = self.steering.ready(run)
        try:
            for item in self.executor.execute(run.id, run.config, lambda: run.stop, control):
                if isinstance(item, Worker):
                    self._started_on(run, item)
                    continue
                if item.start is not None and item.start < len(
                    run.losses
                ):  # it went on from an earlier step than asked
                    flushed = self.steering.rewind(run, item.start)
                self._take(run, item)
                if item.checkpoints or item.changes:
                    self.steering.changed(run, item)  # events, and their series points
                    # the points stored now, not when 16 have gathered; the losses before
                    # the checkpoints, which wait behind them
                    flushed = self._store_tick(run, flushed, samples=bool(item.changes))
                    next_store = 0.0
                    self.steering.checkpointed(run, item)
                if item.ended is not None:
                    ended = item.ended
                    break
                if (now := time.perf_counter()) >= next_store:
                    flushed, next_store = self._store_tick(run, flushed), now + STORE_TICK_S
                self._notify(run, "points")
        finally:  # its end is recorded only after its last losses are: or failed, if lost
            if (last := self._flush_losses(run, flushed, final=True)[1]) is not None:
                self._check_write(run, flushed, last, wait=True)
        return ended

    def _started_on(self, run: Run, worker: Worker) -> None:
        """Record where the run trains."""
        run.worker = worker.as_dict()
        self.store.update_run(run.id, {"worker": run.worker})
        self._notify(run, "status")

    def _take(self, run: Run, batch: Batch) -> None:
        """Append a batch's losses to the run (readers see both arrays reach each length)."""
        if batch.start is not None:  # its first batch: whether its loop has state hooks
            run.hooks = batch.hooks
        if batch.loss:
            low = min(batch.loss)
            run.best_loss = low if run.best_loss is None else min(run.best_loss, low)
        run.losses.extend(batch.loss)
        run.times.extend(batch.time)
        run.params.extend(batch.params)
        run.take_samples(batch.samples)

    def _store_tick(self, run: Run, flushed: int, samples: bool = False) -> int:
        """Hand the losses since the last store tick, and the progress, to the store (with
        `samples`, every series point held back to fill a row, too)."""
        end, written = self._flush_losses(run, flushed, final=samples)
        if written is not None:
            written.add_done_callback(lambda done: self._check_write(run, flushed, done))
        self.store.update_run(run.id, progress(run))
        return end

    def _flush_losses(
        self, run: Run, flushed: int, final: bool = False
    ) -> tuple[int, Future | None]:
        """Store the losses from step `flushed` on, the parameters of those steps and the
        system samples not yet stored (every one when `final`); the new `flushed`, and the
        write of the losses if there were any."""
        end = len(run.losses)
        if samples := run.unstored_samples(final):
            self.store.submit(lambda conn: store_samples(conn, run.id, samples))
        if end <= flushed:
            return end, None
        loss, times = run.losses[flushed:end].tobytes(), run.times[flushed:end].tobytes()
        written = self.store.append_losses(run.id, flushed, loss, times)
        first = bisect.bisect_left(run.params, flushed, key=lambda item: item[0])
        if params := [(s, p) for s, p in run.params[first:] if s < end]:
            self.store.append_params(run.id, params)
        return end, written

    def _check_write(self, run: Run, start: int, written: Future, wait: bool = False) -> None:
        """Stop a run, to end failed, when its losses from `start` on could not be stored."""
        try:
            written.result(WAIT_S if wait else 0)
            return
        except DiskFull as exc:
            lost = str(exc)
        except Exception:  # any other failure was logged by the store; the run goes on
            return
        with self._lock:
            run.kept = start if run.kept is None else min(run.kept, start)
            run.lost = run.lost or lost
            if run.finished or run.stop:
                return
            run.stop = "failed"
        self.executor.cancel(run.id)

    def _finish(self, run: Run, status: str, error: str | None) -> None:
        """Record the end of a run (called with the lock held); forget it once stored."""
        run.status, run.error, run.finished_at = status, error, time.time()
        ended = {**progress(run), "status": status, "error": error}
        if status == "interrupted":  # the server's stop: its next start may resume it
            ended["resume_on_start"] = 1
        done = self.store.update_run(run.id, ended)
        done.add_done_callback(lambda _: self._forget(run))
        for released in run.gate.leave(run) if run.gate else ():
            self._enqueue(released)
        self._notify(run, "status")

    def _forget(self, run: Run) -> None:
        """A finished run is stored: let it go, and the memory its losses took with it."""
        self._live.pop(run.id, None)
        self.trim()

    def _enqueue(self, run: Run, front: bool = False) -> None:
        """Put a run in its lane's queue, where it has a place (`front`: before every run that
        was not put there so, as a resumed run is)."""
        run.turn = next(self._turns) - (FRONT if front else 0)
        self._queues[self.executor.lane(run.config.device)].put((run.turn, run.turn, run))

    def _stop_entry(self) -> Entry:
        """What stops a lane thread: after every run queued before it (and before those queued
        later, but for a resumed run, which goes to the front)."""
        turn = next(self._turns)
        return (turn, turn, None)

    def _notify(self, run: Run, event: str) -> None:
        for listener in self._listeners:
            listener(run, event)
