"""The sweeps table: a sweep and its runs written in one transaction, read, cancelled, deleted."""

from __future__ import annotations

import json
import sqlite3
import time

from server.store.sqlite import RUN_COLUMNS, WAIT_S, Store, encode, quoted


def insert_sweep(conn: sqlite3.Connection, sweep: dict, runs: list[dict]) -> tuple[int, list[int]]:
    """Insert a sweep and its runs (on the writer thread); the sweep's id and the runs'."""
    sql = "INSERT INTO sweeps (name, spec, seed, created_at) VALUES (?, ?, ?, ?)"
    values = (sweep["name"], json.dumps(sweep["spec"]), sweep["seed"], sweep["created_at"])
    sweep_id = conn.execute(sql, values).lastrowid
    assert sweep_id is not None
    return sweep_id, insert_runs(conn, sweep_id, runs)


def insert_runs(conn: sqlite3.Connection, sweep_id: int, runs: list[dict]) -> list[int]:
    """Insert runs of a sweep (on the writer thread; a search adds its points as it goes)."""
    if not runs:
        return []
    cols = [c for c in RUN_COLUMNS if c in runs[0] or c == "sweep_id"]
    names, marks = ", ".join(map(quoted, cols)), ", ".join("?" * len(cols))
    insert = f"INSERT INTO runs ({names}) VALUES ({marks})"
    ids: list[int] = []
    for run in runs:
        row = {**run, "sweep_id": sweep_id}
        ids.append(conn.execute(insert, [encode(c, row[c]) for c in cols]).lastrowid or 0)
    return ids


def read_sweep(store: Store, sweep_id: int) -> dict | None:
    """A sweeps row, spec decoded, or None."""
    rows = store.query("SELECT * FROM sweeps WHERE id = ?", (sweep_id,))
    return sweep_dict(rows[0]) if rows else None


def list_sweeps(store: Store, limit: int, offset: int) -> tuple[list[dict], int]:
    """One page of sweeps rows, newest first, and how many there are."""
    total = store.query("SELECT COUNT(*) FROM sweeps")[0][0]
    rows = store.query("SELECT * FROM sweeps ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset))
    return [sweep_dict(r) for r in rows], total


def sweep_runs(store: Store, sweep_id: int) -> list[dict]:
    """Each run of a sweep, in id order: id, status, best_loss, sweep_params and rerun_of."""
    sql = (
        "SELECT id, status, best_loss, sweep_params, rerun_of FROM runs WHERE sweep_id = ? "
        "ORDER BY id"
    )
    return [
        {**dict(row), "sweep_params": json.loads(row["sweep_params"] or "null")}
        for row in store.query(sql, (sweep_id,))
    ]


def mark_cancelled(store: Store, sweep_id: int) -> None:
    """Record the user's cancel of a sweep (its first one), and wait for it."""
    sql = "UPDATE sweeps SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL"
    store.submit(lambda conn: conn.execute(sql, (time.time(), sweep_id))).result(WAIT_S)


def delete_sweep(store: Store, sweep_id: int) -> bool:
    """Delete a sweep, its runs and their losses; False when there was no such sweep."""

    def delete(conn: sqlite3.Connection) -> bool:
        runs = "SELECT id FROM runs WHERE sweep_id = ?"
        conn.execute(f"DELETE FROM losses WHERE run_id IN ({runs})", (sweep_id,))
        conn.execute("DELETE FROM runs WHERE sweep_id = ?", (sweep_id,))
        return conn.execute("DELETE FROM sweeps WHERE id = ?", (sweep_id,)).rowcount > 0

    return store.submit(delete).result(WAIT_S)


def sweep_dict(row: sqlite3.Row) -> dict:
    return {**dict(row), "spec": json.loads(row["spec"])}
