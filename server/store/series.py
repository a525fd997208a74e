"""A run's named series in SQLite: one row per batch, its steps (int64) and values and times
(float64) as blobs, so a series that skips steps keeps them and a long one reads back fast."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

PIECE_POINTS = 16_384  # points a streaming read holds at a time
# A series' batches that hold steps after one, in order: from the last that starts at or
# before it (found through the key, not by reading every batch's `last`)
ROWS_SQL = """
    SELECT step, value, time FROM series WHERE run_id = ? AND name = ? AND first >= COALESCE(
        (SELECT MAX(first) FROM series WHERE run_id = ? AND name = ? AND first <= ?), -1)
    ORDER BY first
"""
NEXT_NAME_SQL = "SELECT name FROM series WHERE run_id = ? AND name > ? ORDER BY name LIMIT 1"
SUMMARY_SQL = """
    SELECT name, SUM(count), MIN(low), MAX(last) FROM series WHERE run_id = ?
    GROUP BY name ORDER BY name
"""
LAST_SQL = (
    "SELECT last, value FROM series WHERE run_id = ? AND name = ? ORDER BY first DESC LIMIT 1"
)
INSERT_SQL = (
    "INSERT INTO series (run_id, name, first, last, count, low, step, value, time) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True)
class Points:
    """A series' points: steps (int64, increasing), values and times (float64, seconds since
    the run started); a non-finite value is a gap."""

    step: np.ndarray
    value: np.ndarray
    time: np.ndarray

    def __len__(self) -> int:
        return len(self.step)

    def __getitem__(self, keep: slice | np.ndarray) -> Points:
        return Points(self.step[keep], self.value[keep], self.time[keep])

    @classmethod
    def empty(cls) -> Points:
        return cls(np.empty(0, dtype=np.int64), np.empty(0), np.empty(0))

    def lowest(self) -> float | None:
        """The lowest finite value, or None when none is finite."""
        finite = self.value[np.isfinite(self.value)]
        return float(finite.min()) if len(finite) else None


def insert(conn: sqlite3.Connection, run_id: int, name: str, points: Points) -> None:
    """Store one batch of a series (in the caller's transaction)."""
    step = np.ascontiguousarray(points.step, dtype=np.int64)
    value = np.ascontiguousarray(points.value, dtype=np.float64)
    time = np.ascontiguousarray(points.time, dtype=np.float64)
    row = (run_id, name, int(step[0]), int(step[-1]), len(step), points.lowest(),
           step.tobytes(), value.tobytes(), time.tobytes())  # fmt: skip
    conn.execute(INSERT_SQL, row)


def last_steps(conn: sqlite3.Connection, run_id: int, names: list[str]) -> dict[str, int]:
    """The last stored step of each of `names` that the run has."""
    found = {}
    for name in names:
        row = conn.execute(LAST_SQL, (run_id, name)).fetchone()
        if row is not None:
            found[name] = row[0]
    return found


def last_value(conn: sqlite3.Connection, run_id: int, name: str) -> float | None:
    """The value at a series' last stored step, or None when it has none."""
    row = conn.execute(LAST_SQL, (run_id, name)).fetchone()
    return None if row is None else float(np.frombuffer(row[1][-8:], dtype=np.float64)[0])


def names(conn: sqlite3.Connection, run_id: int) -> list[str]:
    """The names of a run's stored series."""
    found: list[str] = []
    while row := conn.execute(NEXT_NAME_SQL, (run_id, found[-1] if found else "")).fetchone():
        found.append(row[0])  # one seek per name, however many batches each has
    return found


def summary(conn: sqlite3.Connection, run_id: int) -> list[dict]:
    """Each stored series, by name: its count, last value and lowest finite value."""
    out = []
    for name, count, low, _ in conn.execute(SUMMARY_SQL, (run_id,)).fetchall():
        out.append({"name": name, "count": count, "last": last_value(conn, run_id, name),
                    "min": low})  # fmt: skip
    return out


def read(
    conn: sqlite3.Connection, run_id: int, name: str, after: int = -1, limit: int | None = None
) -> Points:
    """A series' points after step `after`: all of them, or the first `limit`."""
    rows, total = [], 0
    cursor = conn.execute(ROWS_SQL, (run_id, name, run_id, name, after))
    for row in cursor:  # one query, read only as far as the limit needs
        rows.append(row)  # only the first may hold steps at or before `after`
        first = len(rows) == 1
        total += int((np.frombuffer(row[0], np.int64) > after).sum()) if first else len(row[0]) // 8
        if limit is not None and total >= limit:
            break
    cursor.close()
    if not rows:
        return Points.empty()
    points = Points(
        np.frombuffer(b"".join(r[0] for r in rows), dtype=np.int64),
        np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float64),
        np.frombuffer(b"".join(r[2] for r in rows), dtype=np.float64),
    )
    start = int(np.searchsorted(points.step, after, side="right"))  # steps increase
    return points[start:] if limit is None else points[start : start + limit]


def pieces(
    reader: Callable[[], sqlite3.Connection],
    run_id: int,
    name: str,
    after: int = -1,
    size: int = PIECE_POINTS,
) -> Iterator[Points]:
    """A series' points after `after` in pieces of at most `size`, each read by its own query
    on the reading thread's connection (a download's pieces are read on any thread, and no read
    transaction stays open while a slow client takes its time)."""
    while len(piece := read(reader(), run_id, name, after, size)):
        yield piece
        after = int(piece.step[-1])
