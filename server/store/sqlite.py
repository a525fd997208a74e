"""SQLite persistence of runs and every loss: WAL mode, all writes batched on one writer thread."""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np

from server.store.disk import DiskFull, Space, disk_full, make_private, refuse_empty
from server.store.migrations import migrate
from server.store.recovery import mark_interrupted
from server.store.run_query import RunQuery

RUN_COLUMNS = [
    "variant",
    "name",
    "config",
    "device",
    "status",
    "iteration",
    "last_loss",
    "best_loss",
    "iterations_per_second",
    "error",
    "created_at",
    "started_at",
    "finished_at",
    "worker",
    "sweep_id",
    "sweep_params",
    "request",
    "notes",
    "tags",
    "source",
    "primary",
    "client_key",
    "ingest_seq",
    "stop_requested",
    "rerun_of",
    "peak_rss_bytes",
    "cuda_peak_bytes",
    "events",
    "checkpoint",
    "resume_on_start",
]
# kept as JSON text
JSON_COLUMNS = ("config", "worker", "sweep_params", "request", "tags", "events", "checkpoint")
PIECE_POINTS = 16_384  # losses a streaming read holds at a time
MMAP_BYTES = 256 * 2**20  # of the database file each reader maps (the store never shrinks it)
# A run's batches of losses that hold steps after one and start after another, in order
# A run's batches of losses from the one that holds a step on, in order. The key is sought,
# not filtered on start + count: a batch's row is read whole (blobs too) to be compared, so a
# filter read every batch before the step, and a run read piece by piece took quadratic time.
LOSSES_SQL = (
    "SELECT start, count, loss, time FROM losses WHERE run_id = ? AND start >= ? ORDER BY start"
)
# The start of the batch that holds a step (or of the last one before it): one seek
HOLDER_SQL = "SELECT MAX(start) FROM losses WHERE run_id = ? AND start <= ?"
# The next batches of a run's losses: their sizes first, then the blobs of those that fit.
HEADS_SQL = (
    "SELECT start, count FROM losses WHERE run_id = ? AND start + count - 1 > ? AND start > ? "
    "ORDER BY start LIMIT 64"
)
ROWS_SQL = (
    "SELECT start, count, loss, time FROM losses WHERE run_id = ? AND start BETWEEN ? AND ? "
    "ORDER BY start"
)
WAIT_S = 30.0  # how long a caller waits for the writer before giving up
COMMIT_TRIES = 6  # with SQLite's own 5 s busy timeout, about half a minute in all
log = logging.getLogger("lossboard.store")
Op = Callable[[sqlite3.Connection], object]


class Store:
    """Runs and losses in `<data_dir>/lossboard.sqlite3`; reads from any thread."""

    def __init__(self, data_dir: Path | str) -> None:
        self.path = Path(data_dir) / "lossboard.sqlite3"
        self._ops: queue.Queue[tuple[Op, Future] | None] = queue.Queue()
        self._local = threading.local()
        self._readers: dict[threading.Thread, sqlite3.Connection] = {}
        self._readers_lock = threading.Lock()
        self._writer: threading.Thread | None = None
        self.space = Space(self.path.parent)
        # the runs the last server's stop interrupted: it left them going, or stopped them
        self.interrupted: list[int] = []

    def open(self) -> None:
        """Migrate the schema, mark runs a previous server left unfinished, start the writer."""
        refuse_empty(self.path)  # before a new, empty database of our own is made
        make_private(self.path)
        conn = self._connect()
        try:
            migrate(conn, self.path)
            with conn:
                self.interrupted = mark_interrupted(conn)
        except BaseException:
            conn.close()
            raise
        self.space.check()
        self._writer = threading.Thread(
            target=self._write_loop, args=(conn,), name="lossboard-store-writer", daemon=True
        )
        self._writer.start()

    def close(self) -> None:
        """Write everything queued, then stop the writer and close every connection."""
        if self._writer is not None:
            self._ops.put(None)
            self._writer.join()
            self._writer = None
        with self._readers_lock:
            for conn in self._readers.values():
                conn.close()
            self._readers.clear()

    # writes: queued for the writer thread, in order

    def submit(self, op: Op) -> Future:
        """Queue a write; the future holds its result once committed."""
        future: Future = Future()
        self._ops.put((op, future))
        return future

    def create_run(self, row: dict) -> int:
        """Insert a run and wait for its id (TimeoutError if the disk does not answer)."""
        cols = [c for c in RUN_COLUMNS if c in row]
        values = [encode(c, row[c]) for c in cols]
        names, marks = ", ".join(map(quoted, cols)), ", ".join("?" * len(cols))
        sql = f"INSERT INTO runs ({names}) VALUES ({marks})"
        return self.submit(lambda conn: conn.execute(sql, values).lastrowid).result(WAIT_S)

    def update_run(self, run_id: int, fields: dict) -> Future:
        """Queue an update of some of a run's columns."""
        assignments = ", ".join(f"{quoted(c)} = ?" for c in fields)
        sql = f"UPDATE runs SET {assignments} WHERE id = ?"
        params = [*(encode(c, v) for c, v in fields.items()), run_id]
        return self.submit(lambda conn: conn.execute(sql, params).rowcount)

    def append_losses(self, run_id: int, start: int, loss: bytes, times: bytes) -> Future:
        """Queue losses for steps start, start+1, ... (float64 bytes, as array('d') gives)."""
        count = len(loss) // 8
        sql = "INSERT INTO losses (run_id, start, count, loss, time) VALUES (?, ?, ?, ?, ?)"
        params = (run_id, start, count, loss, times)
        return self.submit_data(lambda conn: conn.execute(sql, params).rowcount)

    def append_params(self, run_id: int, params: list[tuple[int, dict[str, float]]]) -> Future:
        """Queue a fit's parameters at some of its steps."""
        sql = "INSERT OR REPLACE INTO params (run_id, step, params) VALUES (?, ?, ?)"
        rows = [(run_id, step, json.dumps(values)) for step, values in params]
        return self.submit_data(lambda conn: conn.executemany(sql, rows).rowcount)

    def submit_data(self, op: Op) -> Future:
        """Queue a write of losses or parameters, refused on a full disk: after a run's first
        lost batch, no later one may land and leave a gap in its steps."""

        def guarded(conn: sqlite3.Connection) -> object:
            if problem := self.space.problem:  # a batch queued before the disk filled
                raise DiskFull(problem)
            return op(conn)

        return self.submit(guarded)

    def delete_run(self, run_id: int) -> bool:
        """Delete a run, its losses, series and parameters; False when there was no such run."""

        def delete(conn: sqlite3.Connection) -> bool:
            conn.execute("DELETE FROM losses WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM params WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM series WHERE run_id = ?", (run_id,))
            return conn.execute("DELETE FROM runs WHERE id = ?", (run_id,)).rowcount > 0

        return self.submit(delete).result(WAIT_S)

    def flush(self, timeout: float | None = WAIT_S) -> None:
        """Wait until every write queued so far is committed."""
        self.submit(lambda conn: None).result(timeout)

    def _write_loop(self, conn: sqlite3.Connection) -> None:
        """Take every queued write, commit them as one transaction, resolve their futures."""
        while True:
            batch = [self._ops.get()]
            while batch[-1] is not None and not self._ops.empty():
                batch.append(self._ops.get_nowait())
            ops = [item for item in batch if item is not None]
            for future, result, error in commit_with_retries(conn, ops):
                if error is None:
                    future.set_result(result)
                else:
                    future.set_exception(self.space.failed(error))
            if batch[-1] is None:
                conn.close()
                return

    # reads: one connection per reading thread; WAL lets them run beside the writer

    def get_run(self, run_id: int) -> dict | None:
        """One run's row as a dict, or None."""
        cur = self._reader().execute("SELECT * FROM runs WHERE id = ?", (run_id,))
        row = cur.fetchone()
        return row_dict(row) if row else None

    def list_runs(self, limit: int = 50, offset: int = 0, **filters: Any) -> tuple[list[dict], int]:
        """One page of the runs that match RunQuery(**filters), in its order, and how many match
        in all."""
        query = RunQuery(**filters)
        clause, params = query.where()
        conn = self._reader()
        total = conn.execute(f"SELECT COUNT(*) FROM runs {clause}", params).fetchone()[0]
        sql = f"SELECT * FROM runs {clause} {query.order()} LIMIT ? OFFSET ?"
        rows = conn.execute(sql, [*params, limit, offset]).fetchall()
        return [row_dict(r) for r in rows], total

    def query(self, sql: str, params: tuple | list = ()) -> list[sqlite3.Row]:
        """Every row a read-only query answers, on this thread's reader."""
        return self._reader().execute(sql, params).fetchall()

    def read_losses(
        self, run_id: int, after: int = -1, limit: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Steps, losses and times (seconds since start) of the stored steps after `after`:
        all of them, or the first `limit`."""
        rows, total, first = [], 0, min(after + 1, 2**63 - 1)
        conn = self._reader()
        holder = conn.execute(HOLDER_SQL, (run_id, first)).fetchone()[0]
        cursor = conn.execute(LOSSES_SQL, (run_id, first if holder is None else holder))
        for row in cursor:  # one query, read only as far as the limit needs
            rows.append(row)
            total += min(row[1], max(0, row[0] + row[1] - 1 - after))  # its steps after `after`
            if limit is not None and total >= limit:
                break
        cursor.close()
        steps, loss, times = batch_arrays(rows, after)
        return steps[:limit], loss[:limit], times[:limit]

    def read_params(
        self, run_id: int, after: int = -1, limit: int | None = None
    ) -> list[tuple[int, dict[str, float]]]:
        """A fit's stored parameters at the steps after `after`, in order (the first `limit`)."""
        sql = "SELECT step, params FROM params WHERE run_id = ? AND step > ? ORDER BY step LIMIT ?"
        rows = self._reader().execute(sql, (run_id, after, -1 if limit is None else limit))
        return [(step, json.loads(values)) for step, values in rows]

    def iter_losses(
        self, run_id: int, after: int = -1, points: int = PIECE_POINTS
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """The stored steps after `after` as (steps, losses, times) pieces of at most `points`.

        Each piece is read by its own queries, keyed on the last batch read: no read transaction
        stays open while a slow client takes its time, and memory holds about one piece whatever
        the run's length.
        """
        key = -1
        while rows := self._loss_rows(run_id, after, key, points):
            steps, loss, times = batch_arrays(rows, after)
            for i in range(0, len(steps), points):
                yield steps[i : i + points], loss[i : i + points], times[i : i + points]
            key = rows[-1][0]

    def _loss_rows(self, run_id: int, after: int, key: int, points: int) -> list[sqlite3.Row]:
        """The stored batches that start after `key`, hold steps after `after`, and together
        hold at most `points` losses (or are one batch)."""
        conn = self._reader()
        heads = conn.execute(HEADS_SQL, (run_id, after, key)).fetchall()
        if not heads:
            return []
        fit = int((np.cumsum([h[1] for h in heads]) <= points).sum())
        last = heads[max(fit, 1) - 1][0]
        return conn.execute(ROWS_SQL, (run_id, heads[0][0], last)).fetchall()

    def reader(self) -> sqlite3.Connection:
        """This thread's read-only connection (for server.store's read functions)."""
        return self._reader()

    def map_reads(self) -> None:
        """Let the calling thread's reads map the database file (a thread of the pool that
        writes /losses pages: its first read opens its connection so)."""
        self._local.mapped = True

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
            if getattr(self._local, "mapped", False):
                # a batch's row is read whole to compare its key (WITHOUT ROWID): mapped, its
                # overflow pages cost no read() call each, and a /losses piece 10 times less
                # time. Only the few threads that write pages map it: a mapped page counts in
                # the RSS of each connection that touched it, and every reading thread mapping
                # the run that four downloads read took the RSS up 140 MB (bench/abuse.py).
                conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
            with self._readers_lock:
                self._close_orphans()
                self._readers[threading.current_thread()] = conn
        return conn

    def _close_orphans(self) -> None:
        """Close the readers of threads that have ended (with the lock held). A thread pool
        retires idle threads and starts new ones: each dead one's connection, with its page
        cache, would otherwise stay open, a few MB more with every run read."""
        for thread in [t for t in self._readers if not t.is_alive()]:
            self._readers.pop(thread).close()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level="DEFERRED")
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA busy_timeout = 5000")
        return conn


def batch_arrays(rows: list[sqlite3.Row], after: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps, losses and times of stored batches, from the first step after `after`.

    Steps come from the batches themselves: should a batch ever have been lost, the later ones
    keep their own step numbers rather than closing the gap.
    """
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty(0), np.empty(0)
    steps = np.concatenate([np.arange(r[0], r[0] + r[1]) for r in rows])
    loss = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.float64)
    times = np.frombuffer(b"".join(r[3] for r in rows), dtype=np.float64)
    keep = steps > after
    return steps[keep], loss[keep], times[keep]


def commit_with_retries(conn: sqlite3.Connection, ops: list[tuple[Op, Future]]) -> list[tuple]:
    """Run a batch of writes as one transaction: (future, result, error) for each.

    A busy database (another process holding a write lock) is retried; any other failure
    of the commit, a full disk say, fails every write of the batch, and the writer goes on.
    """
    for attempt in range(COMMIT_TRIES):
        try:
            with conn:
                results = [(future, *run_op(op, conn)) for op, future in ops]
                if full := next(filter(out_of_space, (r[2] for r in results)), None):
                    raise full  # SQLite may have rolled back part of it: roll back all of it
                return results
        except sqlite3.OperationalError as exc:
            error: Exception = exc
            if "locked" not in str(exc) and "busy" not in str(exc):
                break
            time.sleep(0.1 * 2**attempt)
        except Exception as exc:  # handed to every caller of the batch through its future
            error = exc
            break
    log.error("could not write %d change(s) to %s: %s", len(ops), conn, error)
    return [(future, None, error) for _, future in ops]


def out_of_space(error: BaseException | None) -> bool:
    """True for SQLite's or the OS's own full-disk error."""
    return isinstance(error, (sqlite3.Error, OSError)) and disk_full(error) is not None


def run_op(op: Op, conn: sqlite3.Connection) -> tuple[object, BaseException | None]:
    """Run one queued write; its failure goes to its own future, not the whole batch."""
    try:
        return op(conn), None
    except Exception as exc:  # handed to the caller through the future
        return None, exc


def quoted(column: str) -> str:
    """A column's name as SQL takes it (`primary` is a keyword)."""
    return f'"{column}"'


def encode(column: str, value: object) -> object:
    """A value as its column keeps it: JSON text for the JSON columns."""
    return json.dumps(value) if column in JSON_COLUMNS and value is not None else value


def row_dict(row: sqlite3.Row) -> dict:
    """A runs row as a dict with its JSON columns decoded."""
    out = dict(row)
    for column in JSON_COLUMNS:
        out[column] = json.loads(out[column]) if out[column] is not None else None
    return out
