"""What a starting server makes of the runs a previous one left queued or running."""

from __future__ import annotations

import sqlite3
import time

import numpy as np

from server.protocol import LIVE_STATUSES
from server.store import series
from server.store.series import Points


def mark_interrupted(conn: sqlite3.Connection) -> list[int]:
    """Runs the server trained that a previous one left queued or running become `interrupted`,
    ended at their last stored loss (without one, at the last time the store heard from that
    server); runs logged by scripts (source 'sdk') are left running. The ids, in order, of
    those and of the runs the previous server's own stop interrupted: the runs it cut short."""
    live = ", ".join("?" * len(LIVE_STATUSES))
    cut = conn.execute(
        f"SELECT id, started_at, finished_at FROM runs WHERE status IN ({live}) "
        "AND source = 'job'",  # a script's run carries on: its client replays to the next server
        LIVE_STATUSES,
    ).fetchall()
    ends = {run_id: ended or last_loss_at(conn, run_id, started) for run_id, started, ended in cut}
    stamps = [t for t in (*ends.values(), last_stamp(conn)) if t is not None]
    heard = max(stamps, default=time.time())
    sql = """
        UPDATE runs SET
            status = 'interrupted',
            error = COALESCE(error, 'the server stopped while the run was ' || status),
            finished_at = ?,
            iteration = (SELECT COALESCE(SUM(count), 0) FROM losses WHERE run_id = runs.id)
        WHERE id = ?
    """
    conn.executemany(sql, [(end or heard, run_id) for run_id, end in ends.items()])
    stopped = [row[0] for row in conn.execute("SELECT id FROM runs WHERE resume_on_start = 1")]
    conn.execute("UPDATE runs SET resume_on_start = 0 WHERE resume_on_start = 1")
    return sorted({*ends, *stopped})


def last_loss_at(conn: sqlite3.Connection, run_id: int, started_at: float | None) -> float | None:
    """When a run's last stored loss was taken (its times count from the run's start)."""
    sql = "SELECT time FROM losses WHERE run_id = ? ORDER BY start DESC LIMIT 1"
    row = conn.execute(sql, (run_id,)).fetchone()
    if row is None or started_at is None or len(row[0]) < 8:
        return None
    return started_at + float(np.frombuffer(row[0][-8:], dtype=np.float64)[0])


def last_stamp(conn: sqlite3.Connection) -> float | None:
    """The latest time any run was created, started or ended."""
    sql = "SELECT MAX(MAX(created_at, COALESCE(started_at, 0), COALESCE(finished_at, 0))) FROM runs"
    return conn.execute(sql).fetchone()[0]


def keep_before(conn: sqlite3.Connection, run_id: int, step: int) -> int:
    """Drop a run's stored losses, parameters and series from `step` on (a resumed run computes
    them again), so that each step is stored once; the number of losses kept."""
    cut = conn.execute(
        "SELECT start, count, loss, time FROM losses WHERE run_id = ? AND start < ? "
        "AND start + count > ?",
        (run_id, step, step),
    ).fetchone()
    conn.execute("DELETE FROM losses WHERE run_id = ? AND start + count > ?", (run_id, step))
    if cut is not None:  # the batch that holds the step: its steps before it stay
        start, _, loss, times = cut
        keep = (step - start) * 8
        conn.execute(
            "INSERT INTO losses (run_id, start, count, loss, time) VALUES (?, ?, ?, ?, ?)",
            (run_id, start, step - start, loss[:keep], times[:keep]),
        )
    conn.execute("DELETE FROM params WHERE run_id = ? AND step >= ?", (run_id, step))
    rows = conn.execute(
        "SELECT rowid, name, step, value, time FROM series WHERE run_id = ? AND last >= ?",
        (run_id, step),
    ).fetchall()
    for rowid, name, steps, values, times in rows:
        conn.execute("DELETE FROM series WHERE rowid = ?", (rowid,))
        kept = np.frombuffer(steps, dtype=np.int64) < step
        if kept.any():
            points = Points(
                np.frombuffer(steps, dtype=np.int64)[kept],
                np.frombuffer(values)[kept],
                np.frombuffer(times)[kept],
            )
            series.insert(conn, run_id, name, points)
    found = "SELECT COALESCE(SUM(count), 0) FROM losses WHERE run_id = ?"
    return int(conn.execute(found, (run_id,)).fetchone()[0])
