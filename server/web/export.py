"""Downloads of runs' losses, streamed a piece at a time as the store gives them, at most
`max_exports` at once: one run as CSV or JSON, many as long-format CSV or a TensorBoard zip."""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import orjson
from fastapi import HTTPException, status
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send
from tensorboardX import SummaryWriter

from server.training.manager import RunManager
from server.web.schemas import run_public

Pieces = Iterable[tuple[np.ndarray, ...]]  # (steps, losses, times) arrays
Format = Literal["csv", "tensorboard"]  # of many runs
SUFFIX = {"csv": "csv", "tensorboard": "zip"}  # a Format's file name extension
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json", "zip": "application/zip"}
UNSHOWN = ("seed", "device")  # config fields that are never param columns
ZIP_CHUNK = 2**20  # bytes of the zip sent at a time


class Download(StreamingResponse):
    """A streamed attachment that gives its slot back however it ends (done, or the client
    gone); while it streams, the slot counts against the server's max_exports."""

    def __init__(
        self, content: Iterator[bytes | str], slot: threading.BoundedSemaphore, **kw: Any
    ) -> None:
        super().__init__(content, **kw)
        self.slot = slot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.slot.release()


class Downloads:
    """The server's export slots: a download takes one while it streams, none is queued."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots = threading.BoundedSemaphore(limit)

    def start(self, chunks: Iterator[bytes | str], filename: str) -> Download:
        """`chunks` as the attachment `filename`; a 429 when every slot is taken."""
        if not self._slots.acquire(blocking=False):
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                f"{self.limit} exports are streaming, the most this server serves at once; "
                "try again when one has finished",
            )
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
        media_type = MEDIA_TYPES[filename.rsplit(".", 1)[-1]]
        return Download(chunks, self._slots, media_type=media_type, headers=headers)


def csv_chunks(pieces: Pieces) -> Iterator[bytes]:
    """step,loss,time rows under that header; repr keeps every digit of each float."""
    yield b"step,loss,time\n"
    for steps, loss, times in pieces:
        columns = steps.tolist(), loss.tolist(), times.tolist()
        yield "".join(f"{i},{v!r},{t!r}\n" for i, v, t in zip(*columns, strict=True)).encode()


def series_names(manager: RunManager, run_id: int) -> list[str]:
    """The names of a run's series to export: `loss` alone for a run the server trained (its
    system/ samples stay in /series, so its export is the step,loss,time table it always was)."""
    row = manager.get(run_id)
    if row is None or row["source"] == "job":
        return ["loss"]
    return [entry["name"] for entry in manager.series_list(run_id) or []] or ["loss"]


def series_csv_chunks(manager: RunManager, run_id: int, names: list[str]) -> Iterator[bytes]:
    """series,step,value,time rows, series after series (a run with several series)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["series", "step", "value", "time"])
    for name in names:
        for steps, values, times in manager.series_pieces(run_id, name):
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
    return tensorboard_chunks(manager, runs, columns)


def run_pieces(
    manager: RunManager, runs: list[dict], named: bool = False
) -> Iterator[tuple[dict, str, Pieces]]:
    """Each run with each of its series (`loss` alone unless `named`) in pieces; a run deleted
    while the export is read is left out."""
    for run in runs:
        if manager.series_list(run["id"]) is None:  # deleted
            continue
        for name in series_names(manager, run["id"]) if named else ["loss"]:
            yield run, name, manager.series_pieces(run["id"], name)


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


def tensorboard_chunks(
    manager: RunManager, runs: list[dict], columns: list[str]
) -> Iterator[bytes]:
    """A logdir with one subdirectory per run (tag `loss`), written to a temporary folder,
    then sent zipped; the folder goes when the download ends."""
    folder = Path(tempfile.mkdtemp(prefix="lossboard-export-"))
    try:
        logdir = folder / "logdir"
        logdir.mkdir()  # an empty selection is an empty logdir
        for run in runs:
            if manager.series_list(run["id"]) is not None:  # not deleted meanwhile
                write_events(
                    logdir / run_dirname(run, columns), run, run_pieces(manager, [run], True)
                )
        archive = shutil.make_archive(str(folder / "export"), "zip", logdir)
        with open(archive, "rb") as file:
            while chunk := file.read(ZIP_CHUNK):
                yield chunk
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def write_events(path: Path, run: dict, named: Iterable[tuple[dict, str, Pieces]]) -> None:
    """A run's series as TensorBoard scalars, one tag per series, at their wall-clock times."""
    started = run.get("started_at") or run["created_at"]
    writer = SummaryWriter(str(path), flush_secs=3600)
    for _, tag, pieces in named:
        for steps, loss, times in pieces:
            rows = zip(steps.tolist(), loss.tolist(), times.tolist(), strict=True)
            for step, value, time in rows:
                writer.add_scalar(tag, value, global_step=step, walltime=started + time)
    writer.close()


def run_dirname(run: dict, columns: list[str]) -> str:
    """`run-12_learning_rate=1e-05_seed=3`: a run's id, params and seed, safe as a file name."""
    parts = [f"run-{run['id']}", *(f"{c}={run['config'].get(c)}" for c in columns)]
    parts.append(f"seed={run['config'].get('seed')}")
    return re.sub(r"[^A-Za-z0-9_.=+-]", "-", "_".join(parts))
