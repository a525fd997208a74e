"""What a starting server makes of the runs a previous one left queued or running."""

from __future__ import annotations

import sqlite3
import time

import numpy as np

from server.protocol import LIVE_STATUSES


def mark_interrupted(conn: sqlite3.Connection) -> int:
    """Runs the server trained that a previous one left queued or running become `interrupted`,
    ended at their last stored loss (without one, at the last time the store heard from that
    server); runs logged by scripts (source 'sdk') are left running."""
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
    return len(ends)


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
