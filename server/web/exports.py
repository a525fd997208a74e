"""Exports of many runs' losses: long-format CSV, streamed, or a zipped TensorBoard logdir."""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from starlette.background import BackgroundTask
from starlette.responses import FileResponse, Response, StreamingResponse
from tensorboardX import SummaryWriter

from server.training.manager import RunManager

Format = Literal["csv", "tensorboard"]
ROWS_PER_CHUNK = 10_000  # CSV rows built per chunk sent: memory stays flat whatever the study
UNSHOWN = ("seed", "device")  # config fields that are never param columns


def differing_fields(runs: list[dict]) -> list[str]:
    """The config fields (but seed and device) whose values differ among the runs."""
    fields = [f for f in runs[0]["config"] if f not in UNSHOWN]
    return [f for f in fields if len({repr(r["config"].get(f)) for r in runs}) > 1]


def export(
    manager: RunManager, runs: list[dict], columns: list[str], fmt: Format, stem: str
) -> Response:
    """The runs' losses as a download named `stem`.csv or `stem`.zip."""
    if fmt == "csv":
        headers = {"Content-Disposition": f'attachment; filename="{stem}.csv"'}
        rows = csv_chunks(manager, runs, columns)
        return StreamingResponse(rows, media_type="text/csv", headers=headers)
    folder = Path(tempfile.mkdtemp(prefix="lossboard-export-"))
    archive = tensorboard_zip(manager, runs, columns, folder)
    return FileResponse(
        archive,
        media_type="application/zip",
        filename=f"{stem}.zip",
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


def csv_chunks(manager: RunManager, runs: list[dict], columns: list[str]) -> Iterator[str]:
    """`run_id,<columns>,seed,step,loss,time` rows, run by run; floats keep every digit."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["run_id", *columns, "seed", "step", "loss", "time"])
    for run in runs:
        series = manager.losses(run["id"])
        if series is None:  # deleted while the export was read
            continue
        fixed = [run["id"], *(run["config"].get(c) for c in columns), run["config"]["seed"]]
        rows = list(zip(*(a.tolist() for a in series), strict=True))  # (step, loss, time)
        for start in range(0, len(rows), ROWS_PER_CHUNK):
            writer.writerows([*fixed, *row] for row in rows[start : start + ROWS_PER_CHUNK])
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def tensorboard_zip(
    manager: RunManager, runs: list[dict], columns: list[str], folder: Path
) -> Path:
    """Write a logdir under `folder` with one subdirectory per run (tag `loss`), and zip it."""
    logdir = folder / "logdir"
    for run in runs:
        series = manager.losses(run["id"])
        if series is None:
            continue
        started = run.get("started_at") or run["created_at"]
        writer = SummaryWriter(str(logdir / run_dirname(run, columns)), flush_secs=3600)
        for step, loss, time in zip(*(a.tolist() for a in series), strict=True):
            writer.add_scalar("loss", loss, global_step=step, walltime=started + time)
        writer.close()
    logdir.mkdir(parents=True, exist_ok=True)  # an empty selection is an empty logdir
    return Path(shutil.make_archive(str(folder / "export"), "zip", logdir))


def run_dirname(run: dict, columns: list[str]) -> str:
    """`run-12_learning_rate=1e-05_seed=3`: a run's id, params and seed, safe as a file name."""
    parts = [f"run-{run['id']}", *(f"{c}={run['config'].get(c)}" for c in columns)]
    parts.append(f"seed={run['config']['seed']}")
    return re.sub(r"[^A-Za-z0-9_.=+-]", "-", "_".join(parts))
