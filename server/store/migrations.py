"""The store's schema versions: ordered migrations, each moving a database one version up."""

from __future__ import annotations

import sqlite3
from pathlib import Path

# MIGRATIONS[n] takes a database from schema version n to n + 1 (SQLite's user_version). A
# release that changes the schema appends one; a migration once released is never edited.
MIGRATIONS: list[tuple[str, ...]] = [
    # 1: the schema of 0.1.0, which stamped no version. IF NOT EXISTS: on a database that
    # release wrote, this step creates nothing and only stamps it 1.
    (
        """
        CREATE TABLE IF NOT EXISTS runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            variant TEXT NOT NULL,
            name TEXT,
            config TEXT NOT NULL,
            device TEXT NOT NULL,
            status TEXT NOT NULL,
            iteration INTEGER NOT NULL DEFAULT 0,
            last_loss REAL,
            best_loss REAL,
            iterations_per_second REAL,
            error TEXT,
            created_at REAL NOT NULL,
            started_at REAL,
            finished_at REAL
        )
        """,
        "CREATE INDEX IF NOT EXISTS runs_status ON runs (status)",
        # Losses are kept as float64 blobs, one row per batch the writer received: a million
        # steps read back in a few milliseconds, bit for bit.
        """
        CREATE TABLE IF NOT EXISTS losses (
            run_id INTEGER NOT NULL,
            start INTEGER NOT NULL,
            count INTEGER NOT NULL,
            loss BLOB NOT NULL,
            time BLOB NOT NULL,
            PRIMARY KEY (run_id, start)
        ) WITHOUT ROWID
        """,
    ),
    # 2: where each run ran, and with how many threads (JSON; null until it starts)
    ("ALTER TABLE runs ADD COLUMN worker TEXT",),
    # 3: sweeps, and which sweep a run belongs to with the swept values of its point (JSON).
    # A sweep's status is derived from its runs; only the user's cancel is kept.
    (
        """
        CREATE TABLE sweeps (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT,
            spec TEXT NOT NULL,
            seed INTEGER NOT NULL,
            created_at REAL NOT NULL,
            cancelled_at REAL
        )
        """,
        "ALTER TABLE runs ADD COLUMN sweep_id INTEGER",
        "ALTER TABLE runs ADD COLUMN sweep_params TEXT",
        "CREATE INDEX runs_sweep ON runs (sweep_id)",
    ),
    # 4: what a user says of a run (notes; tags, a JSON list) and the request as submitted
    # (JSON), which "run again" repeats. Runs from before kept no request: their config, with
    # the device as resolved and the name they had, stands in for it.
    (
        "ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE runs ADD COLUMN tags TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE runs ADD COLUMN request TEXT",
        "UPDATE runs SET request = json_set(config, '$.name', name)",
    ),
    # 5: a polynomial fit's parameters at some of its
    # steps (the first, each tick's last, the last), as JSON {"a": ..., "b": ...}
    (
        """
        CREATE TABLE params (
            run_id INTEGER NOT NULL,
            step INTEGER NOT NULL,
            params TEXT NOT NULL,
            PRIMARY KEY (run_id, step)
        ) WITHOUT ROWID
        """,
    ),
    # 6: runs a script logs through `import lossboard` (source 'sdk'): they have no variant
    # and no device, so the runs table is rebuilt with both nullable (SQLite cannot drop a NOT
    # NULL), keeping every row, id and the AUTOINCREMENT counter. Such a run keeps named series
    # (float64 values, int64 steps: a series may skip steps) in `series`, one row per batch
    # from its first to its last step, with the batch's lowest finite value (`low`).
    (
        """
        CREATE TABLE runs_v6 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            variant TEXT,
            name TEXT,
            config TEXT NOT NULL,
            device TEXT,
            status TEXT NOT NULL,
            iteration INTEGER NOT NULL DEFAULT 0,
            last_loss REAL,
            best_loss REAL,
            iterations_per_second REAL,
            error TEXT,
            created_at REAL NOT NULL,
            started_at REAL,
            finished_at REAL,
            worker TEXT,
            sweep_id INTEGER,
            sweep_params TEXT,
            notes TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '[]',
            request TEXT,
            source TEXT NOT NULL DEFAULT 'job',
            "primary" TEXT NOT NULL DEFAULT 'loss',
            client_key TEXT UNIQUE,
            ingest_seq INTEGER NOT NULL DEFAULT -1,
            stop_requested INTEGER NOT NULL DEFAULT 0
        )
        """,
        """
        INSERT INTO runs_v6 (id, variant, name, config, device, status, iteration, last_loss,
            best_loss, iterations_per_second, error, created_at, started_at, finished_at, worker,
            sweep_id, sweep_params, notes, tags, request)
        SELECT id, variant, name, config, device, status, iteration, last_loss, best_loss,
            iterations_per_second, error, created_at, started_at, finished_at, worker, sweep_id,
            sweep_params, notes, tags, request FROM runs
        """,
        # a deleted last run's id stays used: carry the counter over, not just the largest id
        """
        INSERT INTO sqlite_sequence (name, seq) SELECT 'runs_v6', 0
        WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'runs_v6')
        """,
        """
        UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE(
            (SELECT seq FROM sqlite_sequence WHERE name = 'runs'), 0)) WHERE name = 'runs_v6'
        """,
        "DROP TABLE runs",
        "ALTER TABLE runs_v6 RENAME TO runs",
        "CREATE INDEX runs_status ON runs (status)",
        "CREATE INDEX runs_sweep ON runs (sweep_id)",
        """
        CREATE TABLE series (
            run_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            first INTEGER NOT NULL,
            last INTEGER NOT NULL,
            count INTEGER NOT NULL,
            low REAL,
            step BLOB NOT NULL,
            value BLOB NOT NULL,
            time BLOB NOT NULL
        )
        """,
        # a rowid table: its rows of three blobs, as a WITHOUT ROWID table's keys, took overflow
        # pages of their own and three times the disk
        "CREATE UNIQUE INDEX series_batches ON series (run_id, name, first)",
        # a series' counts, ends and lows without reading its blobs (the list of series)
        "CREATE INDEX series_stats ON series (run_id, name, first, count, low, last)",
    ),
    # 7: the run a run was run again from ("Run again", "Edit and run"), null for the others.
    (
        "ALTER TABLE runs ADD COLUMN rerun_of INTEGER",
        "CREATE INDEX runs_rerun_of ON runs (rerun_of)",
    ),
    # 8: each run's peak memory, from the system sampler: its process's resident memory
    # (locally the server's) and torch's peak CUDA allocation on its device; null when unsampled
    (
        "ALTER TABLE runs ADD COLUMN peak_rss_bytes INTEGER",
        "ALTER TABLE runs ADD COLUMN cuda_peak_bytes INTEGER",
    ),
    # 9: steering: a run's hyperparameter changes ({step, field, old, new, time}, in order),
    # its last checkpoint ({step, bytes, seconds, at}, null without one), and whether the
    # server's stop interrupted it (the next start resumes those, and no older ones)
    (
        "ALTER TABLE runs ADD COLUMN events TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE runs ADD COLUMN checkpoint TEXT",
        "ALTER TABLE runs ADD COLUMN resume_on_start INTEGER NOT NULL DEFAULT 0",
    ),
]


class SchemaTooNew(RuntimeError):
    """The database was written by a later lossboard, with a schema this one does not know."""


def schema_version(conn: sqlite3.Connection) -> int:
    """The database's schema version: how many migrations it has had."""
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection, path: Path) -> int:
    """Apply, in order, every migration the database at `path` lacks; the version it is at."""
    found, known = schema_version(conn), len(MIGRATIONS)
    if found > known:
        raise SchemaTooNew(
            f"{path} has schema version {found}, but this lossboard knows versions up to "
            f"{known}: it was written by a later release; open it with that one or a newer one"
        )
    for target in range(found + 1, known + 1):
        apply(conn, target)
    return schema_version(conn)


def apply(conn: sqlite3.Connection, target: int) -> None:
    """Move the database from version target - 1 to target, all of it or none."""
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        if schema_version(conn) != target - 1:  # another process has just migrated it
            return
        for sql in MIGRATIONS[target - 1]:
            conn.execute(sql)
        conn.execute(f"PRAGMA user_version = {target}")
