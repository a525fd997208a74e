"""A full disk, noticed and said: the error a write gets, and the space kept to record it.

When SQLite cannot write for want of space, the runs that were writing must still be recorded
as failed. A reserve file of RESERVE_BYTES, kept beside the database, is given up at the first
failed write to make that room; the store works again once the reserve can be written back.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
from pathlib import Path

from server.exceptions import Refused

RESERVE_BYTES = 2**20  # room for the status of every live run, several times over
SQLITE_FULL, SQLITE_IOERR = 13, 10
log = logging.getLogger("lossboard.store")


class DiskFull(Refused):
    """The store cannot write for want of disk space; its text starts "disk full: "."""

    status = 507  # Insufficient Storage


def disk_full(exc: BaseException) -> DiskFull | None:
    """The DiskFull that `exc` means, or None when it is another failure."""
    if isinstance(exc, DiskFull):
        return exc
    if isinstance(exc, sqlite3.Error) and getattr(exc, "sqlite_errorcode", 0) & 0xFF == SQLITE_FULL:
        return DiskFull(f"disk full: {exc}")
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(f"disk full: {exc.strerror}")
    return None


class Reserve:
    """A file of RESERVE_BYTES that is deleted to give its room to the writes that need it."""

    def __init__(self, path: Path, size: int = RESERVE_BYTES) -> None:
        self.path, self.size = path, size

    def release(self) -> None:
        """Give the room back to the file system."""
        self.path.unlink(missing_ok=True)

    def restore(self) -> bool:
        """Write the reserve again (True), or find there is no room for it yet (False)."""
        if self.path.exists() and self.path.stat().st_size == self.size:
            return True
        try:
            with os.fdopen(
                os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb"
            ) as f:
                f.write(bytes(self.size))  # zeros written, not a sparse file: the room is taken
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            if disk_full(exc) is None:
                raise
            self.release()
            return False
        return True


class Space:
    """Whether the store can write: its reserve, and what went wrong while it cannot."""

    def __init__(self, data_dir: Path) -> None:
        self.reserve = Reserve(data_dir / "lossboard.reserve")
        self.problem: str | None = None

    def check(self) -> None:
        """At open: take the reserve, or start out as full."""
        if not self.reserve.restore():
            self.problem = f"disk full: no room for the {RESERVE_BYTES:,}-byte reserve"

    def failed(self, exc: BaseException) -> BaseException:
        """What a failed write tells its caller: on a full disk, DiskFull, and the reserve
        is given up so that the runs it stops can still be recorded."""
        full = disk_full(exc)
        if full is None:
            return exc
        if self.problem is None:
            log.error("%s; runs that were writing end failed, new runs are refused", full)
            self.problem = str(full)
        self.reserve.release()
        return full

    def recover(self) -> str | None:
        """Clear the problem once the reserve can be written back; the problem, or None."""
        if self.problem is not None and self.reserve.restore():
            log.warning("disk space is back: the store writes again (was: %s)", self.problem)
            self.problem = None
        return self.problem

    def refuse(self) -> None:
        """Raise DiskFull while the store cannot write (after trying to recover)."""
        if problem := self.recover():
            raise DiskFull(problem)


class EmptyDatabase(Exception):
    """The database file is empty where a database was expected."""


def refuse_empty(path: Path) -> None:
    """Raise EmptyDatabase for a 0-byte `path` in a data directory that holds anything else:
    SQLite would take it for a new database, and the runs it held would be gone unsaid."""
    if not path.is_file() or path.stat().st_size > 0:
        return
    if others := sorted(p.name for p in path.parent.iterdir() if p != path):
        raise EmptyDatabase(
            f"{path} is empty (0 bytes), in a data directory that is not new (it holds "
            f"{', '.join(others[:3])}): refusing to start an empty store over a lost database. "
            "Restore it from a backup, or delete it to start afresh."
        )


def make_private(database: Path) -> None:
    """Create the data directory 0700 and the database 0600 when they are new (SQLite gives
    its -wal and -shm files the database's mode); existing ones keep the mode they have."""
    if not database.parent.exists():
        database.parent.mkdir(parents=True)
        database.parent.chmod(0o700)  # mkdir's mode passes through the umask
    if not database.exists():
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
