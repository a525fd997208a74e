"""`lossboard sync DIR` and `lossboard import-tb LOGDIR`: runs from disk to a server."""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lossboard.errors import LossboardError
from lossboard.offline import sync
from lossboard.rundir import RunDir
from lossboard.sender import MAX_BATCH, encode
from server.cli.client import DEFAULT_URL


def add_commands(commands: argparse._SubParsersAction, options: argparse.ArgumentParser) -> None:
    """Add `sync` and `import-tb` to the `lossboard` command."""
    text = "upload runs logged offline (or spooled) to the server; twice makes one run"
    sync_cmd = commands.add_parser("sync", parents=[options], help=text, description=text)
    sync_cmd.add_argument("dirs", nargs="+", metavar="DIR", help="a run's directory")
    sync_cmd.set_defaults(handler=sync_command)
    text = "turn each run of a TensorBoard logdir into a run, one series per scalar tag"
    tb = commands.add_parser("import-tb", parents=[options], help=text, description=text)
    tb.add_argument("logdir", metavar="LOGDIR", help="TensorBoard's --logdir")
    tb.set_defaults(handler=import_tb_command)


def server_of(args: argparse.Namespace) -> tuple[str, str | None]:
    url = args.url or os.environ.get("LOSSBOARD_URL") or DEFAULT_URL
    return url, args.token or os.environ.get("LOSSBOARD_TOKEN") or None


def sync_command(args: argparse.Namespace) -> int:
    """Sync each directory; say which run each became."""
    url, token = server_of(args)
    failed = 0
    for path in args.dirs:
        try:
            run = sync(path, url, token)
        except (LossboardError, OSError, ValueError, KeyError) as exc:
            print(f"lossboard: {path}: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"{path}: run {run['id']} ({run['status']}) {url.rstrip('/')}/runs/{run['id']}")
    return 1 if failed else 0


def import_tb_command(args: argparse.Namespace) -> int:
    """Read the logdir with tbparse, write each run as a run directory, sync it."""
    try:
        runs = read_logdir(Path(args.logdir))
    except ImportError:
        need = "lossboard: import-tb needs tbparse: pip install 'lossboard[tensorboard]'"
        print(need, file=sys.stderr)
        return 2
    if not runs:
        print(f"lossboard: no scalars in {args.logdir}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="lossboard-tb-") as tmp:
        dirs = [write_rundir(Path(tmp) / str(i), *run) for i, run in enumerate(runs)]
        args.dirs = [str(d) for d in dirs]
        return sync_command(args)


TbRun = tuple[str, str, dict[str, Any]]  # name, client key, {tag: (steps, values, times)}


def read_logdir(logdir: Path) -> list[TbRun]:
    """Every run directory's scalars, by tag, each tag's steps increasing (the last value
    of a step written twice, as TensorBoard draws it)."""
    from tbparse import SummaryReader  # only here: it brings pandas, which the CLI needs not

    with warnings.catch_warnings():  # tbparse 0.0.9 sorts with pandas 3's deprecated inplace=
        warnings.filterwarnings("ignore", message="The inplace keyword")
        reader = SummaryReader(str(logdir), extra_columns={"dir_name", "wall_time"})
        frame = reader.scalars
    if frame.empty:
        return []
    runs = []
    for dir_name, rows in frame.groupby("dir_name", sort=True):
        name = f"{logdir.name}/{dir_name}" if dir_name else logdir.name
        key = hashlib.sha256(f"tb:{logdir.resolve()}:{dir_name}".encode()).hexdigest()[:32]
        start = rows["wall_time"].min()
        series = {}
        for tag, points in rows.groupby("tag", sort=True):
            points = points.sort_values("step", kind="stable").drop_duplicates("step", keep="last")
            series[str(tag)] = ([int(s) for s in points["step"]],
                                [float(v) for v in points["value"]],
                                [float(t - start) for t in points["wall_time"]])  # fmt: skip
        runs.append((name, key, series))
    return runs


def write_rundir(path: Path, name: str, key: str, series: dict[str, Any]) -> Path:
    """A run directory (as offline mode writes) holding `series` in batches, ended completed."""
    meta = {"name": name, "client_key": key, "tags": ["tensorboard"], "status": "completed"}
    rundir = RunDir(path).create(meta)
    for seq, chunk in enumerate(chunks(series)):
        batch = encode(seq, chunk)
        rundir.write(batch.seq, batch.body, batch.points)
    return path


def chunks(series: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Each tag's points, a batch's worth at a time."""
    for tag, (steps, values, times) in series.items():
        for i in range(0, len(steps), MAX_BATCH):
            part = slice(i, i + MAX_BATCH)
            yield {tag: (steps[part], values[part], times[part])}
