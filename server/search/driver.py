"""Searches: each sweep's study driven by the runs' events, on one thread of its own.

The manager's listener only queues events (it is called with the manager's lock held); this
thread reports to the pruner, prunes, tells the study how points ended and asks for the next
points while fewer than the sweep's share of `max_parallel` are in flight. A restarted
server resumes each search: points told stay told, and a point whose runs the stop
interrupted trains again (those seeds only), so none is lost and none trained twice over.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from server.exceptions import Refused
from server.protocol import FINISHED_STATUSES, LIVE_STATUSES
from server.search import study as studies
from server.search.points import Point, run_score, stored_score, tell
from server.search.spec import SEARCH_METHODS, needs_study, report_every
from server.store import sweeps as sweep_store
from server.store.sqlite import WAIT_S
from server.training.manager import RunManager
from server.training.run import Run
from server.training.spec import ConfigError
from server.training.sweep_spec import SweepSpec, seeded_runs

log = logging.getLogger("lossboard.search")
Event = tuple[Run | None, str]


LOST = "params_lost"  # a trial the stop cut before its params were stored: not in the budget


def lost(trial: optuna.trial.FrozenTrial) -> bool:
    """A trial asked, but cut by a stop before its params were stored."""
    return bool(trial.user_attrs.get(LOST))


class Search:
    """One sweep's study, its spec, and its points in flight (keyed by trial number)."""

    def __init__(self, sweep_id: int, spec: dict, seed: int, study: optuna.Study) -> None:
        self.sweep_id, self.spec, self.seed, self.study = sweep_id, spec, seed, study
        self.sweep_spec = SweepSpec.model_validate(spec)
        self.objective = (spec.get("objective"), spec.get("k"))
        self.lock = threading.RLock()
        self.points: dict[int, Point] = {}
        self.by_run: dict[int, Point] = {}
        self.asked = len([t for t in study.get_trials(deepcopy=False) if not lost(t)])
        self.cancelled = False

    @property
    def searching(self) -> bool:
        """Whether it still asks for points: a search within its budget, not cancelled."""
        return self.spec["method"] in SEARCH_METHODS and not self.cancelled

    def in_flight(self) -> int:
        return sum(not p.told for p in self.points.values())

    def limit(self) -> int:
        """Points in flight at once: max_parallel's runs, a point's seeds to each."""
        seeds = self.spec["seeds"]
        return max(1, (self.spec.get("max_parallel") or seeds) // seeds)

    def active(self) -> bool:
        """Whether points are still to come or in flight (the sweep is running)."""
        budget = self.searching and self.asked < (self.spec["count"] or 0)
        return budget or self.in_flight() > 0

    def best(self) -> dict | None:
        """The study's best trial as the sweep's best: its first run, score and point."""
        try:
            trial = self.study.best_trial
        except ValueError:  # no trial completed yet
            return None
        run_ids = trial.user_attrs.get("run_ids") or [0]
        return {"run_id": run_ids[0], "loss": trial.value, "params": trial.params}


class Searches:
    """Every sweep's study, loaded when first needed; live ones driven by their runs' events."""

    def __init__(self, manager: RunManager, data_dir: Path) -> None:
        self.manager, self.store, self.data_dir = manager, manager.store, data_dir
        self._searches: dict[int, Search] = {}
        self._events: queue.Queue[Event | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._told: list[Callable[[int], None]] = []
        manager.add_listener(self._listen)

    def add_listener(self, listener: Callable[[int], None]) -> None:
        """Call `listener(sweep_id)` from the search thread each time a point is told."""
        self._told.append(listener)

    def get(self, sweep_id: int, spec: dict, seed: int) -> Search | None:
        """The sweep's search, loaded from its study file, or None for a sweep without one."""
        with self._lock:
            if (search := self._searches.get(sweep_id)) is not None or not needs_study(spec):
                return search
            if not studies.study_path(self.data_dir, sweep_id).exists():
                return None
            search = Search(sweep_id, spec, seed, self._open(sweep_id, spec, seed))
            self._searches[sweep_id] = search
            return search

    def begin(self, sweep_id: int, spec: dict, seed: int) -> Search:
        """Start a new sweep's study (and a search's first points)."""
        with self._lock:
            search = Search(sweep_id, spec, seed, self._open(sweep_id, spec, seed))
            self._searches[sweep_id] = search
        self._start_thread()
        with search.lock:
            self._fill(search)
        return search

    def record_points(self, search: Search, runs: list[Run], ids: list[int]) -> None:
        """A grid or random sweep's points as trials with their fixed params, for the pruner."""
        seeds = search.spec["seeds"]
        with search.lock:
            for first in range(0, len(runs), seeds):
                params = runs[first].sweep_params or {}
                dists = studies.point_distributions(search.spec, params)
                search.study.enqueue_trial(params)
                trial = search.study.ask(fixed_distributions=dists)
                search.asked += 1
                point = Point(trial, [])
                self._track(search, point, ids[first : first + seeds], range(seeds))

    def cancel(self, sweep_id: int) -> None:
        """Ask for no more points (the sweep's runs are being cancelled)."""
        if (search := self._searches.get(sweep_id)) is not None:
            with search.lock:
                search.cancelled = True

    def forget(self, sweep_id: int) -> None:
        """A deleted sweep: drop its study and its file."""
        with self._lock:
            self._searches.pop(sweep_id, None)
        studies.delete_study(self.data_dir, sweep_id)

    def resume(self, sweep: dict) -> None:
        """A sweep a previous server left: tell what ended, retrain what the stop interrupted."""
        search = self.get(sweep["id"], sweep["spec"], sweep["seed"])
        if search is None:
            return
        self._start_thread()
        with search.lock:
            search.cancelled = sweep["cancelled_at"] is not None
            for frozen in search.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
                self._resume_point(search, frozen)
            self._fill(search)

    # the thread

    def _listen(self, run: Run, event: str) -> None:
        if run.sweep_id in self._searches:
            self._events.put((run, event))

    def _start_thread(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="lossboard-search", daemon=True
                )
                self._thread.start()

    def _loop(self) -> None:
        while (item := self._events.get()) is not None:
            run, event = item
            search = self._searches.get(run.sweep_id or 0) if run else None
            if search is None:
                continue
            try:
                with search.lock:
                    self._handle(search, run, event)
            except Exception:  # one sweep's trouble must not stop the others' searches
                log.exception("sweep %s: the search failed on run %s", search.sweep_id, run)

    def _handle(self, search: Search, run: Run | None, event: str) -> None:
        point = search.by_run.get(run.id) if run else None
        if run is None or point is None or point.told:
            return
        if run.status in ("running", "completed"):  # a completed run's last reports too
            every = report_every(search.spec, run.config.iterations)
            steps = point.take(run.id, run.losses, every, search.objective)
            if point.report(steps):
                for run_id in point.run_ids:
                    self.manager.prune(run_id)
        if not run.finished or run.status == "interrupted":  # the next server resumes it
            return
        point.ended[run.id] = run.status, run_score(run.status, run.losses, search.objective)
        self._settle(search, point)

    def _settle(self, search: Search, point: Point) -> None:
        """Tell an ended point, then ask for the next ones."""
        if point.finished() and not point.told:
            tell(search.study, point)
            self._fill(search)
            for listener in self._told:  # the sweep's status may have changed with no run's
                listener(search.sweep_id)

    # asking and starting points

    def _fill(self, search: Search) -> None:
        """Ask for points while the search has budget and room in flight."""
        waiting = [p for p in search.points.values() if not p.run_ids and not p.told]
        for point in waiting:  # asked before a full queue or a stop: start them first
            if not self._start(search, point, range(search.spec["seeds"])):
                return
        while search.searching and search.asked < search.spec["count"]:
            if search.in_flight() >= search.limit():
                return
            dists = studies.distributions(search.spec["params"])
            trial = search.study.ask(fixed_distributions=dists)
            search.asked += 1
            point = Point(trial, [])
            search.points[trial.number] = point
            if not self._start(search, point, range(search.spec["seeds"])):
                return

    def _start(self, search: Search, point: Point, seeds: range | list[int]) -> bool:
        """Queue the runs of a point's seeds; False if the queue has no room for them yet."""
        spec, variant = search.sweep_spec, search.spec["variants"][0]
        planned = seeded_runs(spec, variant, dict(point.trial.params), search.seed, False)
        runs = []
        try:
            for k in seeds:
                run = self.manager.prepare(planned[k][0])
                run.sweep_id, run.sweep_params = search.sweep_id, planned[k][1]
                runs.append(run)
        except ConfigError as exc:  # this server cannot train the point now: it fails alone
            number = point.trial.number
            log.warning("sweep %s: point %s cannot run: %s", search.sweep_id, number, exc)
            search.study.tell(point.trial, state=TrialState.FAIL)
            point.told = True
            return True

        def record(rows: list[dict]) -> list[int]:
            insert = lambda conn: sweep_store.insert_runs(conn, search.sweep_id, rows)  # noqa: E731
            ids: list[int] = self.store.submit(insert).result(WAIT_S)
            self._track(search, point, ids, list(seeds))
            return ids

        gate = min(spec.seeds, spec.max_parallel) if spec.max_parallel else None
        try:
            self.manager.submit_group(runs, record, gate)
        except Refused as exc:  # the queue is full: the point starts when a run ends
            log.info("sweep %s waits to start a point: %s", search.sweep_id, exc)
            return False
        return True

    def _track(self, search: Search, point: Point, ids: list[int], seeds: Any) -> None:
        """Record which runs train a point, in memory and in its trial (before any starts)."""
        point.run_ids.extend(ids)
        point.seeds.update(zip(ids, seeds, strict=True))
        search.points[point.trial.number] = point
        for run_id in ids:
            search.by_run[run_id] = point
        point.trial.set_user_attr("run_ids", point.run_ids)

    def _resume_point(self, search: Search, frozen: optuna.trial.FrozenTrial) -> None:
        """A point the stop left in flight: its ended runs scored, its interrupted ones again."""
        if set(search.spec["params"]) - set(frozen.params):
            # asked, but the stop came before its params were stored: no point, ask another
            trial = optuna.trial.Trial(search.study, frozen._trial_id)
            trial.set_user_attr(LOST, True)
            search.study.tell(trial, state=TrialState.FAIL)
            search.asked -= 1
            return
        point = Point(optuna.trial.Trial(search.study, frozen._trial_id), [])
        search.points[frozen.number] = point
        base = search.seed
        redo = [] if frozen.user_attrs.get("run_ids") else list(range(search.spec["seeds"]))
        for run_id in frozen.user_attrs.get("run_ids", []):
            row = self.manager.reads.get(run_id)
            if row is not None and row["status"] in LIVE_STATUSES:  # resumed at this start
                self._track(search, point, [run_id], [row["config"]["seed"] - base])
                continue
            if row is None or row["status"] not in FINISHED_STATUSES:
                continue
            if row["status"] == "interrupted" and search.searching:
                redo.append(row["config"]["seed"] - base)
                continue
            status = "failed" if row["status"] == "interrupted" else row["status"]
            self._track(search, point, [run_id], [row["config"]["seed"] - base])
            point.ended[run_id] = status, stored_score(self.store, row, search.objective)
        point.trial.set_user_attr("run_ids", point.run_ids)
        if redo and not self._start(search, point, sorted(redo)):
            return
        self._settle(search, point)

    def _open(self, sweep_id: int, spec: dict, seed: int) -> optuna.Study:
        return studies.open_study(self.data_dir, sweep_id, spec, seed)
