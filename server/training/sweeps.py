"""Sweeps: groups of runs over a grid or random samples, with paired seeds, queued all or none.

A sweep's status, counts and best run are derived from its runs each time they are read
(the live runs as they are now); only the user's cancel is stored with the sweep.
"""

from __future__ import annotations

import time
from typing import Literal

from server.exceptions import Conflict
from server.protocol import STATUSES
from server.search.driver import Search, Searches
from server.search.history import study_public
from server.search.spec import SEARCH_METHODS, needs_study
from server.store import sweeps as sweep_store
from server.store.sqlite import WAIT_S
from server.training.manager import RunManager
from server.training.run import Run
from server.training.spec import ConfigError, RunSpec
from server.training.sweep_spec import SweepSpec, blame, plan

SweepStatus = Literal["running", "paused", "completed", "cancelled", "interrupted"]
NOT_BEST = ("diverged", "failed")  # their losses rank nothing
GOING: tuple[SweepStatus, ...] = ("running", "paused")  # a sweep not over: cancel it to end it


class SweepConflict(Conflict):
    """A request that the sweep's state forbids (deleting a sweep that is still running)."""


class Sweeps:
    """The one way into sweeps: validates and expands them, queues their runs through the
    manager, and answers for them (SweepPublic's fields)."""

    def __init__(self, manager: RunManager, max_runs: int = 500) -> None:
        self.manager = manager
        self.store = manager.store
        self.max_runs = max_runs
        self.searches = Searches(manager, self.store.path.parent)

    def create(self, spec: SweepSpec) -> dict:
        """Validate every run of the sweep, then record and queue them all (ConfigError,
        QueueFull: nothing is queued); a search records itself and queues its first points."""
        expanded = plan(spec, self.max_runs)
        runs = [self._prepare(run_spec, swept) for run_spec, swept in expanded.runs]
        row = {
            "name": spec.name,
            "spec": expanded.spec,
            "seed": expanded.seed,
            "created_at": time.time(),
        }
        if spec.method in SEARCH_METHODS:
            for run_spec, swept in expanded.probes:  # refused here if any corner cannot run
                self._prepare(run_spec, swept)
            insert = self.store.submit(lambda conn: sweep_store.insert_sweep(conn, row, []))
            sweep_id = insert.result(WAIT_S)[0]
            self.searches.begin(sweep_id, expanded.spec, expanded.seed)
            return self._got(sweep_id)
        search: list[Search] = []

        def record(rows: list[dict]) -> list[int]:
            insert = self.store.submit(lambda conn: sweep_store.insert_sweep(conn, row, rows))
            sweep_id, ids = insert.result(WAIT_S)
            for run in runs:
                run.sweep_id = sweep_id
            if needs_study(expanded.spec):  # the pruner's trials, before any run starts
                search.append(self.searches.begin(sweep_id, expanded.spec, expanded.seed))
                self.searches.record_points(search[0], runs, ids)
            return ids

        self.manager.submit_group(runs, record, spec.max_parallel)
        return self._got(runs[0].sweep_id or 0)

    def resume(self) -> None:
        """Continue the searches a previous server left (call once the manager has started)."""
        offset = 0
        while rows := sweep_store.list_sweeps(self.store, 100, offset)[0]:
            for row in rows:
                self.searches.resume(row)
            offset += len(rows)

    def _got(self, sweep_id: int) -> dict:
        sweep = self.get(sweep_id)
        assert sweep is not None
        return sweep

    def _prepare(self, run_spec: RunSpec, swept: dict) -> Run:
        try:
            run = self.manager.prepare(run_spec)
        except ConfigError as exc:
            raise ConfigError(blame(exc.field, swept), exc.message) from None
        run.sweep_params = swept
        return run

    def get(self, sweep_id: int) -> dict | None:
        """A sweep as the API shows it, or None."""
        row = sweep_store.read_sweep(self.store, sweep_id)
        return self.public(row) if row else None

    def list_sweeps(self, limit: int = 50, offset: int = 0) -> tuple[list[dict], int]:
        """One page of sweeps, newest first, and how many there are."""
        rows, total = sweep_store.list_sweeps(self.store, limit, offset)
        return [self.public(row) for row in rows], total

    def cancel(self, sweep_id: int) -> dict | None:
        """Cancel a running sweep: its queued runs never start, its running ones stop."""
        sweep = self.get(sweep_id)
        if sweep is None or sweep["status"] not in GOING:
            return sweep
        self.searches.cancel(sweep_id)  # first: no point is asked for while runs are cancelled
        sweep_store.mark_cancelled(self.store, sweep_id)
        reads = self.manager.reads
        live = [run for i in sweep["run_ids"] if (run := reads.live_run(i)) is not None]
        live.sort(key=lambda run: run.status != "queued")  # queued first: none of them starts
        for run in live:
            self.manager.cancel(run.id)
        return self.get(sweep_id)

    def study(self, sweep_id: int) -> dict | None:
        """The sweep's study (points, scores, importances); None without such a sweep;
        SweepConflict for a plain grid or random sweep, which keeps none."""
        row = sweep_store.read_sweep(self.store, sweep_id)
        if row is None:
            return None
        search = self.searches.get(sweep_id, row["spec"], row["seed"])
        if search is None:
            raise SweepConflict(f"sweep {sweep_id} keeps no study: it neither searches nor prunes")
        with search.lock:
            return study_public(search.study, row["spec"])

    def delete(self, sweep_id: int) -> bool:
        """Delete a finished sweep with its runs; False if there is none, SweepConflict if live."""
        sweep = self.get(sweep_id)
        if sweep is None:
            return False
        if sweep["status"] in GOING:
            raise SweepConflict(f"sweep {sweep_id} is {sweep['status']}: cancel it first")
        self.store.flush()  # its runs' last writes land first
        self.searches.forget(sweep_id)
        return sweep_store.delete_sweep(self.store, sweep_id)

    def runs(self, sweep_id: int) -> list[dict]:
        """Each run of the sweep (id, status, best_loss, sweep_params), live ones as they are."""
        runs = sweep_store.sweep_runs(self.store, sweep_id)
        for run in runs:
            if (live := self.manager.reads.live_run(run["id"])) is not None:
                run["status"], run["best_loss"] = live.status, live.best_loss
        return runs

    def public(self, row: dict) -> dict:
        """A sweeps row, with what its runs say now, as SweepPublic's fields."""
        runs = self.runs(row["id"])
        counts = dict.fromkeys(STATUSES, 0)
        for run in runs:
            counts[run["status"]] += 1
        status = sweep_status(standing(runs), row["cancelled_at"] is not None)
        search = self.searches.get(row["id"], row["spec"], row["seed"])
        if search is not None:
            status = search_status(status, search)
        return {
            "id": row["id"],
            "name": row["name"],
            "status": status,
            "spec": row["spec"],
            "run_ids": [run["id"] for run in runs],
            "counts": counts,
            "best": search.best() if search is not None else best(runs),
            "created_at": row["created_at"],
            "seed": row["seed"],
        }


def standing(runs: list[dict]) -> dict[str, int]:
    """How many of a sweep's runs are in each status, leaving out each run that a later run of
    the sweep ran again ("Run again" on an interrupted or failed run stays in its sweep)."""
    again = {run["rerun_of"] for run in runs if run.get("rerun_of") is not None}
    counts = dict.fromkeys(STATUSES, 0)
    for run in runs:
        if run["id"] not in again:
            counts[run["status"]] += 1
    return counts


def sweep_status(counts: dict[str, int], cancelled: bool) -> SweepStatus:
    """Running while a run is queued or running; paused while one waits paused and none
    trains; then how it ended."""
    if counts["queued"] or counts["running"]:
        return "running"
    if counts["paused"]:
        return "paused"
    if cancelled:
        return "cancelled"
    return "interrupted" if counts["interrupted"] else "completed"


def search_status(status: SweepStatus, search: Search) -> SweepStatus:
    """Running until every point is told (a search: its whole budget); the runs a search
    trained again after a stop do not leave it interrupted."""
    if search.active():
        return "running"
    return "completed" if status == "interrupted" and search.searching else status


def best(runs: list[dict]) -> dict | None:
    """The run with the lowest best-so-far loss, of those that neither diverged nor failed."""
    ranked = [r for r in runs if r["best_loss"] is not None and r["status"] not in NOT_BEST]
    if not ranked:
        return None
    top = min(ranked, key=lambda r: r["best_loss"])
    return {"run_id": top["id"], "loss": top["best_loss"], "params": top["sweep_params"]}
