"""Runs that scripts log (`import lossboard`, source 'sdk'): opened, fed numbered batches of
named series, finished by their client; one that falls silent becomes `interrupted`.

Each batch is checked against the stored run and stored with its number in one transaction,
committed before the caller answers: a client that lost the answer resends the batch, which is
acknowledged again and stored once.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from server.exceptions import Conflict, Refused
from server.store import series
from server.store.series import Points
from server.store.sqlite import WAIT_S, Store

T = TypeVar("T")
MAX_SERIES = 1000  # named series of one run
ENDINGS = ("completed", "failed", "cancelled")  # what a client may finish its run as
RUN_SQL = 'SELECT id, source, status, ingest_seq, stop_requested, "primary", started_at, ' \
    "iteration, best_loss FROM runs WHERE id = ?"  # fmt: skip


class UnknownRun(Refused):
    """No run has that id."""

    status = 404


class IngestConflict(Conflict):
    """The run's state forbids the request (a job run, a finished run, a batch out of order)."""


class IngestRefused(ValueError):
    """Points the stored run cannot take: `loc` names the field, as a 422 does."""

    def __init__(self, loc: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.loc, self.message = loc, message


@dataclass(frozen=True)
class Batch:
    """One numbered batch of a client: some points of some series (maybe none: a heartbeat)."""

    seq: int
    series: dict[str, Points]


class Ingest:
    """The server's side of the clients' runs: what they send goes through the store's writer."""

    def __init__(self, store: Store, timeout_s: float, notify: Callable[[int], None]) -> None:
        self.store, self.timeout_s, self.notify = store, timeout_s, notify
        self._heard: dict[int, float] = {}  # a running run's last request, time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None

    def start(self) -> None:
        """Give each run a client still logs a full timeout from now; start the watchdog."""
        sql = "SELECT id FROM runs WHERE source = 'sdk' AND status = 'running'"
        for (run_id,) in self.store.query(sql):
            self.heard(run_id)
        self._watchdog = threading.Thread(
            target=self._watch, name="lossboard-sdk-watchdog", daemon=True
        )
        self._watchdog.start()

    def close(self) -> None:
        self._stop.set()
        if self._watchdog is not None:
            self._watchdog.join()

    def heard(self, run_id: int) -> None:
        """The run's client has just been heard from."""
        with self._lock:
            self._heard[run_id] = time.monotonic()

    def open_run(
        self, fields: dict, client_key: str | None, resume: int | None
    ) -> tuple[int, bool]:
        """A new run (id, True), or the run `resume` or `client_key` names (id, False)."""

        def op(conn: sqlite3.Connection) -> tuple[int, bool]:
            if resume is not None:
                return reopen(conn, resume), False
            if client_key is not None:
                found = conn.execute("SELECT id FROM runs WHERE client_key = ?", (client_key,))
                if (row := found.fetchone()) is not None:
                    return row[0], False
            return insert_run(conn, {**fields, "client_key": client_key}), True

        run_id, created = self._write(op)
        self.heard(run_id)
        self.notify(run_id)
        return run_id, created

    def add(self, run_id: int, batch: Batch) -> dict:
        """Store a batch once, or acknowledge one stored before: {"seq", "stored",
        "should_stop"}."""
        answer = self._write(lambda conn: store_batch(conn, run_id, batch))
        self.heard(run_id)  # only once the run is known to be a script's
        if answer.pop("revived") or answer["stored"]:
            self.notify(run_id)
        return answer

    def finish(self, run_id: int, status: str, error: str | None) -> None:
        """End the run as its client says (again with the same status: nothing changes)."""
        changed = self._write(lambda conn: finish_run(conn, run_id, status, error))
        with self._lock:
            self._heard.pop(run_id, None)
        if changed:
            self.notify(run_id)

    def last_steps(self, run_id: int) -> dict[str, int]:
        """Each stored series' last step."""
        conn = self.store.reader()
        return series.last_steps(conn, run_id, series.names(conn, run_id))

    def _write(self, op: Callable[[sqlite3.Connection], T]) -> T:
        return self.store.submit(atomic(op)).result(WAIT_S)

    def _watch(self) -> None:
        """Mark runs whose clients fell silent for timeout_s `interrupted`."""
        while not self._stop.wait(min(1.0, self.timeout_s / 4)):
            now = time.monotonic()
            with self._lock:
                silent = [i for i, t in self._heard.items() if now - t > self.timeout_s]
                for run_id in silent:
                    del self._heard[run_id]
            for run_id in silent:
                if self._write(self._interrupt(run_id)):
                    self.notify(run_id)

    def _interrupt(self, run_id: int) -> Callable[[sqlite3.Connection], bool]:
        """The write that marks a silent client's run interrupted, if it is still running."""
        error = f"no word from the client for {self.timeout_s:g} s"
        sql = "UPDATE runs SET status = 'interrupted', error = ?, finished_at = ? " \
            "WHERE id = ? AND status = 'running' AND source = 'sdk'"  # fmt: skip
        return lambda conn: conn.execute(sql, (error, time.time(), run_id)).rowcount > 0


def atomic(op: Callable[[sqlite3.Connection], T]) -> Callable[[sqlite3.Connection], T]:
    """`op` all or nothing inside the writer's transaction (which other writes share)."""

    def run(conn: sqlite3.Connection) -> T:
        conn.execute("SAVEPOINT ingest")
        try:
            result = op(conn)
        except BaseException:
            conn.execute("ROLLBACK TO ingest")
            conn.execute("RELEASE ingest")
            raise
        conn.execute("RELEASE ingest")
        return result

    return run


def insert_run(conn: sqlite3.Connection, fields: dict) -> int:
    """A new running sdk run from the client's fields; its id."""
    now = time.time()
    row = {**fields, "config": json.dumps(fields["config"]), "tags": json.dumps(fields["tags"]),
           "source": "sdk", "status": "running", "created_at": now, "started_at": now}  # fmt: skip
    cols = ", ".join(f'"{c}"' for c in row)
    sql = f"INSERT INTO runs ({cols}) VALUES ({', '.join('?' * len(row))})"
    return conn.execute(sql, list(row.values())).lastrowid or 0


def sdk_run(conn: sqlite3.Connection, run_id: int) -> sqlite3.Row:
    """The run's row; UnknownRun or IngestConflict unless a script logs it."""
    row = conn.execute(RUN_SQL, (run_id,)).fetchone()
    if row is None:
        raise UnknownRun(f"run {run_id} does not exist")
    if row["source"] != "sdk":
        raise IngestConflict(
            f"run {run_id} is trained by the server: only a script's run takes points"
        )
    return row


def reopen(conn: sqlite3.Connection, run_id: int) -> int:
    """Resume a script's run: running again, asked to stop by nobody."""
    sdk_run(conn, run_id)
    sql = "UPDATE runs SET status = 'running', error = NULL, finished_at = NULL, " \
        "stop_requested = 0 WHERE id = ?"  # fmt: skip
    conn.execute(sql, (run_id,))
    return run_id


def store_batch(conn: sqlite3.Connection, run_id: int, batch: Batch) -> dict:
    """Check a batch against the stored run and store it with its number, or acknowledge a
    replay; an interrupted run is running again ("revived")."""
    run = sdk_run(conn, run_id)
    answer = {"seq": batch.seq, "stored": 0, "should_stop": bool(run["stop_requested"]),
              "revived": False}  # fmt: skip
    if batch.seq <= run["ingest_seq"]:
        return answer  # stored before: its acknowledgement was lost
    if run["status"] in ENDINGS:
        raise IngestConflict(f"run {run_id} has ended ({run['status']}): it takes no more points")
    if batch.seq != run["ingest_seq"] + 1:
        raise IngestConflict(f"expected seq {run['ingest_seq'] + 1}")
    check_batch(conn, run_id, batch)
    for name, points in batch.series.items():
        if len(points):
            series.insert(conn, run_id, name, points)
    conn.execute(f"UPDATE runs SET {PROGRESS_SET} WHERE id = ?", [*progress(run, batch), run_id])
    answer["stored"] = sum(len(points) for points in batch.series.values())
    answer["revived"] = run["status"] != "running"
    return answer


PROGRESS_SET = "ingest_seq = ?, iteration = ?, last_loss = COALESCE(?, last_loss), " \
    "best_loss = ?, iterations_per_second = ?, status = 'running', error = NULL, " \
    "finished_at = NULL"  # fmt: skip


def progress(run: sqlite3.Row, batch: Batch) -> list[object]:
    """PROGRESS_SET's values: the batch's number, the steps so far (the last step logged, plus
    one), and the primary series' last and lowest values."""
    steps = [int(p.step[-1]) + 1 for p in batch.series.values() if len(p)]
    iteration = max([run["iteration"], *steps])
    primary = batch.series.get(run["primary"])
    last = float(primary.value[-1]) if primary is not None and len(primary) else None
    low = primary.lowest() if primary is not None else None
    lows = [v for v in (run["best_loss"], low) if v is not None]
    elapsed = time.time() - (run["started_at"] or time.time())
    speed = iteration / elapsed if elapsed > 0 else None
    return [batch.seq, iteration, last, min(lows, default=None), speed]


def check_batch(conn: sqlite3.Connection, run_id: int, batch: Batch) -> None:
    """IngestRefused for a series past the run's cap, or a step at or before one stored."""
    names = [name for name, points in batch.series.items() if len(points)]
    last = series.last_steps(conn, run_id, names)
    new = [name for name in names if name not in last]
    if new:
        held = len(series.names(conn, run_id))
        if held + len(new) > MAX_SERIES:
            name = new[MAX_SERIES - held] if held < MAX_SERIES else new[0]
            raise IngestRefused(
                ("body", "series", name),
                f"run {run_id} holds {held} series and a run holds at most {MAX_SERIES}: "
                f"{name!r} would be one too many",
            )
    for name, step in last.items():
        first = int(batch.series[name].step[0])
        if first <= step:
            raise IngestRefused(
                ("body", "series", name, "step"),
                f"step going backwards in series {name!r}: {first} after {step}",
            )


def finish_run(conn: sqlite3.Connection, run_id: int, status: str, error: str | None) -> bool:
    """End a script's run; False when it had ended so already, IngestConflict if otherwise."""
    run = sdk_run(conn, run_id)
    if run["status"] == status:
        return False
    if run["status"] in ENDINGS:
        raise IngestConflict(f"run {run_id} has ended {run['status']} already")
    sql = "UPDATE runs SET status = ?, error = ?, finished_at = ? WHERE id = ?"
    conn.execute(sql, (status, error, time.time(), run_id))
    return True
