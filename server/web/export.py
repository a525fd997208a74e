"""Downloads of runs' losses, streamed a piece at a time as the store gives them, at most
`max_exports` at once: one run as CSV or JSON, many as long-format CSV or a TensorBoard zip."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import re
import shutil
import tempfile
import threading
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import orjson
from starlette.responses import StreamingResponse
from starlette.types import Message, Receive, Scope, Send
from tensorboardX import SummaryWriter
from tensorboardX.summary import hparams

from server.exceptions import TooMany
from server.training.manager import RunManager
from server.web.errors import refusals
from server.web.schemas import RunExport, run_public

# the OpenAPI of the downloads
BUSY = refusals({429: "max_exports downloads are streaming already"})
TEXT = {"schema": {"type": "string"}}
BINARY = {"schema": {"type": "string", "format": "binary"}}
EXPORT_FORMATS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "an attachment: CSV rows `step,loss,time` (`series,step,value,time` for "
        "a run with several series), or JSON (format=json: its loss)",
        "model": RunExport,  # the JSON's schema
        "content": {"text/csv": TEXT},
    }
}
MANY_EXPORT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "an attachment: long-format CSV, or a zipped TensorBoard logdir",
        "content": {"text/csv": TEXT, "application/zip": BINARY},
    },
    **BUSY,
}


Pieces = Iterable[tuple[np.ndarray, ...]]  # (steps, losses, times) arrays
Format = Literal["csv", "tensorboard"]  # of many runs
SUFFIX = {"csv": "csv", "tensorboard": "zip"}  # a Format's file name extension
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json", "zip": "application/zip"}
UNSHOWN = ("seed", "device")  # config fields that are never param columns
ZIP_CHUNK = 2**20  # bytes of the zip sent at a time
SEND_TIMEOUT_S = 30.0  # a download whose client takes nothing for this long is ended


class Download(StreamingResponse):
    """A streamed attachment that gives its slot back however it ends (done, the client gone,
    or a send that made no progress for SEND_TIMEOUT_S); its work stops then, and its files go
    at once. While it streams, the slot counts against the server's max_exports."""

    def __init__(
        self,
        content: Iterator[bytes | str],
        slot: threading.BoundedSemaphore,
        send_timeout_s: float = SEND_TIMEOUT_S,
        **kw: Any,
    ) -> None:
        self.send_timeout_s = send_timeout_s
        self.stopped = threading.Event()
        self.chunks: Generator[bytes | str, None, None] = stoppable(content, self.stopped)
        super().__init__(self.chunks, **kw)
        self.slot = slot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, timed(send, self.send_timeout_s))
        finally:
            self.stopped.set()  # a chunk being made now is the last
            try:
                with contextlib.suppress(ValueError):  # still running: stops at its next chunk
                    self.chunks.close()
            finally:
                self.slot.release()


def stoppable(
    chunks: Iterator[bytes | str], stopped: threading.Event
) -> Generator[bytes | str, None, None]:
    """`chunks` until `stopped` is set; then (or at the end) closed, so their cleanup runs."""
    try:
        for chunk in chunks:
            if stopped.is_set():
                return
            yield chunk
    finally:
        if isinstance(chunks, Generator):
            chunks.close()


def timed(send: Send, timeout_s: float) -> Send:
    """`send`, ended by TimeoutError when a message is not taken within `timeout_s` (a client
    that stopped reading would hold its slot for ever)."""

    async def send_in_time(message: Message) -> None:
        await asyncio.wait_for(send(message), timeout_s)

    return send_in_time


class Downloads:
    """The server's export slots: a download takes one while it streams, none is queued."""

    def __init__(self, limit: int, send_timeout_s: float = SEND_TIMEOUT_S) -> None:
        self.limit, self.send_timeout_s = limit, send_timeout_s
        self._slots = threading.BoundedSemaphore(limit)

    def start(self, chunks: Iterator[bytes | str], filename: str) -> Download:
        """`chunks` as the attachment `filename`; a 429 when every slot is taken."""
        if not self._slots.acquire(blocking=False):
            raise TooMany(
                f"{self.limit} exports are streaming, the most this server serves at once; "
                "try again when one has finished"
            )
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
        media_type = MEDIA_TYPES[filename.rsplit(".", 1)[-1]]
        return Download(
            chunks, self._slots, self.send_timeout_s, media_type=media_type, headers=headers
        )


def csv_chunks(pieces: Pieces) -> Iterator[bytes]:
    """step,loss,time rows under that header; repr keeps every digit of each float."""
    yield b"step,loss,time\n"
    for steps, loss, times in pieces:
        columns = steps.tolist(), loss.tolist(), times.tolist()
        yield "".join(f"{i},{v!r},{t!r}\n" for i, v, t in zip(*columns, strict=True)).encode()


def series_names(manager: RunManager, run_id: int) -> list[str]:
    """The names of a run's series to export: `loss` alone for a run the server trained (its
    system/ samples stay in /series, so its export is the step,loss,time table it always was)."""
    row = manager.reads.get(run_id)
    if row is None or row["source"] == "job":
        return ["loss"]
    return [entry["name"] for entry in manager.reads.series_list(run_id) or []] or ["loss"]


def series_csv_chunks(manager: RunManager, run_id: int, names: list[str]) -> Iterator[bytes]:
    """series,step,value,time rows, series after series (a run with several series)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["series", "step", "value", "time"])
    for name in names:
        for steps, values, times in manager.reads.series_pieces(run_id, name):
            rows = zip(steps.tolist(), values.tolist(), times.tolist(), strict=True)
            writer.writerows([name, i, repr(v), repr(t)] for i, v, t in rows)
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode()


def json_chunks(run: dict, pieces: Pieces) -> Iterator[bytes]:
    """{"run": RunPublic, "rows": [{"step", "loss", "time"}, ...]}, written as it is read."""
    yield orjson.dumps({"run": run_public(run), "rows": []})[: -len(b"]}")]
    separator = b""
    for steps, loss, times in pieces:
        columns = steps.tolist(), loss.tolist(), times.tolist()
        rows = [{"step": i, "loss": v, "time": t} for i, v, t in zip(*columns, strict=True)]
        yield separator + orjson.dumps(rows)[1:-1]
        separator = b","
    yield b"]}"


def differing_fields(runs: list[dict]) -> list[str]:
    """The config fields (but seed and device) whose values differ among the runs."""
    fields = [f for f in runs[0]["config"] if f not in UNSHOWN]
    return [f for f in fields if len({repr(r["config"].get(f)) for r in runs}) > 1]


def many_chunks(
    manager: RunManager, runs: list[dict], columns: list[str], fmt: Format
) -> Iterator[bytes | str]:
    """Many runs' losses as long-format CSV or a TensorBoard zip."""
    if fmt == "csv":
        return long_csv_chunks(manager, runs, columns)
    return tensorboard_chunks(manager, runs)


def run_pieces(
    manager: RunManager, runs: list[dict], named: bool = False
) -> Iterator[tuple[dict, str, Pieces]]:
    """Each run with each of its series (`loss` alone unless `named`) in pieces; a run deleted
    while the export is read is left out."""
    for run in runs:
        if manager.reads.series_list(run["id"]) is None:  # deleted
            continue
        for name in series_names(manager, run["id"]) if named else ["loss"]:
            yield run, name, manager.reads.series_pieces(run["id"], name)


def long_csv_chunks(manager: RunManager, runs: list[dict], columns: list[str]) -> Iterator[str]:
    """`run_id,<columns>,seed,step,loss,time` rows, run by run; floats keep every digit. When a
    run has several series: `...,seed,series,step,value,time`, series after series."""
    named = any(series_names(manager, run["id"]) != ["loss"] for run in runs)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    last = ["series", "step", "value", "time"] if named else ["step", "loss", "time"]
    writer.writerow(["run_id", *columns, "seed", *last])
    for run, name, pieces in run_pieces(manager, runs, named):
        fixed = [run["id"], *(run["config"].get(c) for c in columns), run["config"].get("seed")]
        fixed += [name] if named else []
        for steps, loss, times in pieces:
            rows = zip(steps.tolist(), loss.tolist(), times.tolist(), strict=True)
            writer.writerows([*fixed, *row] for row in rows)
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def tensorboard_chunks(manager: RunManager, runs: list[dict]) -> Iterator[bytes]:
    """A logdir with one subdirectory per run (tag `loss`, its config as hparams), written to a
    temporary folder, then sent zipped; the folder goes when the download ends."""
    folder = Path(tempfile.mkdtemp(prefix="lossboard-export-"))
    try:
        logdir = folder / "logdir"
        logdir.mkdir()  # an empty selection is an empty logdir
        for run in runs:
            if manager.reads.series_list(run["id"]) is not None:  # not deleted meanwhile
                named = run_pieces(manager, [run], True)
                yield from write_events(logdir / run_dirname(run), run, named)
        archive = shutil.make_archive(str(folder / "export"), "zip", logdir)
        with open(archive, "rb") as file:
            while chunk := file.read(ZIP_CHUNK):
                yield chunk
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def write_events(
    path: Path, run: dict, named: Iterable[tuple[dict, str, Pieces]]
) -> Iterator[bytes]:
    """A run's series as TensorBoard scalars, one tag per series, at their wall-clock times; an
    empty chunk after each piece (nothing is sent), where a download that has ended stops."""
    started = run.get("started_at") or run["created_at"]
    writer = SummaryWriter(str(path), flush_secs=3600)
    try:
        # the HParams tab's session of this run: its config, and its primary series as metric
        metric = {run.get("primary") or "loss": run["last_loss"] or 0.0}
        for summary in hparams(hparam_values(run), metric):
            writer.file_writer.add_summary(summary)
        for _, tag, pieces in named:
            for steps, loss, times in pieces:
                rows = zip(steps.tolist(), loss.tolist(), times.tolist(), strict=True)
                for step, value, t in rows:
                    writer.add_scalar(tag, value, global_step=step, walltime=started + t)
                yield b""
    finally:
        writer.close()


def hparam_values(run: dict) -> dict[str, bool | str | float | int]:
    """A run's config (the fields its variant takes) and name, as TensorBoard's hparams."""
    values = {k: v for k, v in run["config"].items() if isinstance(v, bool | str | float | int)}
    return values | {"run_id": run["id"], "name": run["name"] or ""}


def run_dirname(run: dict) -> str:
    """`run-12_baseline_tensors`: a run's id, name (if any) and variant, safe as a file name;
    its config is in the folder's hparams."""
    parts = [f"run-{run['id']}", run["name"], run["variant"]]
    name = "_".join(part for part in parts if part)
    return re.sub(r"[^A-Za-z0-9_.=+-]", "-", name)[:120]
