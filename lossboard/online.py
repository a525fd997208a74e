"""A run on a lossboard server: created by init(), fed by the sender thread, ended by finish()."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from lossboard.errors import LossboardError, Unreachable
from lossboard.run import Run
from lossboard.rundir import Batch, RunDir
from lossboard.sender import Sender
from lossboard.transport import Transport

log = logging.getLogger("lossboard")
CREATE_TRIES = 3  # a keep-alive connection the server had just closed fails the first try


class ServerSink:
    """Batches to POST /api/ingest/runs/{id}/points."""

    def __init__(self, transport: Transport, run_id: int) -> None:
        self.transport, self.run_id = transport, run_id

    def send(self, batch: Batch) -> bool:
        return bool(self.transport.send_points(self.run_id, batch.body)["should_stop"])


def create_run(transport: Transport, body: dict[str, Any]) -> dict[str, Any]:
    """POST the run (idempotent through its client_key); raise LossboardError saying why not."""
    for attempt in range(CREATE_TRIES):
        try:
            return transport.create_run(body)
        except Unreachable:
            if attempt == CREATE_TRIES - 1:
                raise
    raise AssertionError("unreachable")


def start(url: str, token: str | None, meta: dict[str, Any], root: Path) -> OnlineRun:
    """Create (or resume) the run on the server and start its sender."""
    transport = Transport(url, token)
    try:
        created = create_run(transport, {k: v for k, v in meta.items() if v is not None})
    except LossboardError:
        transport.close()
        raise
    run = created["run"]
    spool = root / f"spool-{run['id']}-{meta['client_key'][:8]}"
    saved = meta | {"url": url, "resume": run["id"]}

    def make_spool() -> RunDir:
        return RunDir(spool).create(saved)

    sender = Sender(ServerSink(transport, run["id"]), make_spool, created["last_seq"] + 1)
    page = f"{url.rstrip('/')}/runs/{run['id']}"
    online = OnlineRun(run["id"], page, run.get("config"), sender, created.get("last_steps"))
    online.transport = transport
    sender.thread.start()
    return online


class OnlineRun(Run):
    """A run whose finish() waits for the server to acknowledge the last batch."""

    transport: Transport

    def _end(self, status: str, error: str | None, timeout: float) -> int:
        sender = self._sender
        assert sender is not None
        sender.closing.set()
        sender.thread.join(timeout)
        sender.stop()
        undelivered = sender.undelivered
        if sender.spool is not None and undelivered - sender.refused > 0:
            sender.spool.update_meta(status=status, error=error)
            where = sender.spool.path
            warn(f"lossboard could not deliver {undelivered} points; they are kept in {where}: "
                 f"`lossboard sync {where}` sends them")  # fmt: skip
            return undelivered
        if sender.spool is not None:
            shutil.rmtree(sender.spool.path, ignore_errors=True)
        self._post_finish(status, error)
        if undelivered:
            warn(f"lossboard could not deliver {undelivered} points (the server refused them)")
        return undelivered

    def _post_finish(self, status: str, error: str | None) -> None:
        try:
            self.transport.finish_run(int(self.id or 0), status, error)
        except LossboardError as exc:
            warn(f"lossboard could not finish run {self.id}: {exc}")
        finally:
            self.transport.close()


def warn(message: str) -> None:
    log.warning(message)
