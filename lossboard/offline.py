"""Offline runs: every batch goes to a directory, which `lossboard sync DIR` uploads later."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from lossboard.errors import LossboardError
from lossboard.run import Run
from lossboard.rundir import Batch, RunDir
from lossboard.sender import Sender
from lossboard.transport import Transport

FINAL = frozenset({"completed", "failed", "cancelled"})


class DirSink:
    """Batches appended to the run directory; nothing can stop an offline run."""

    def __init__(self, rundir: RunDir) -> None:
        self.rundir = rundir

    def send(self, batch: Batch) -> bool:
        self.rundir.write(batch.seq, batch.body, batch.points)
        return False


def start(meta: dict[str, Any], path: Path) -> OfflineRun:
    """Write the run's directory and start its sender."""
    rundir = RunDir(path).create(meta)
    sender = Sender(DirSink(rundir), lambda: rundir, heartbeat=False)  # seqs stay contiguous
    run = OfflineRun(None, None, meta["config"], sender)
    run.dir = rundir
    sender.thread.start()
    return run


class OfflineRun(Run):
    """A run kept on disk; finish() records how it ended for `lossboard sync`."""

    dir: RunDir

    def _end(self, status: str, error: str | None, timeout: float) -> int:
        sender = self._sender
        assert sender is not None
        sender.closing.set()
        sender.thread.join(timeout)
        sender.stop()
        self.dir.update_meta(status=status, error=error)
        return 0


def sync(
    path: str | Path, url: str, token: str | None, progress: Callable[[int], object] = int
) -> dict[str, Any]:
    """Upload a run directory (offline run or spool) to the server; return the run. Running it
    twice makes one run: the run's client_key finds it, and stored batches are skipped."""
    rundir = RunDir(path)
    meta = rundir.meta()
    transport = Transport(url, token)
    try:
        created = transport.create_run(create_body(meta))
        run_id = created["run"]["id"]
        for batch in rundir.in_order():
            if batch.seq > created["last_seq"]:
                transport.send_points(run_id, batch.body)
                progress(batch.points)
        if meta.get("status") in FINAL and created["run"]["status"] not in FINAL:
            return transport.finish_run(run_id, meta["status"], meta.get("error"))
        return dict(created["run"])
    finally:
        transport.close()


def create_body(meta: dict[str, Any]) -> dict[str, Any]:
    """The POST /api/ingest/runs body from a directory's run.json."""
    fields = ("name", "config", "tags", "notes", "primary", "client_key", "resume")
    if not meta.get("client_key"):
        raise LossboardError("run.json has no client_key: not a lossboard run directory")
    return {key: meta[key] for key in fields if meta.get(key) is not None}
