"""The `lossboard` client commands: each talks to a server through Client and prints with rich."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from server.cli.client import DEFAULT_URL, ApiError, Client
from server.cli.run_flags import FLAGS, spec_values
from server.protocol import LIVE_STATUSES
from server.settings import read_token_file

STATUS_STYLE = {
    "queued": "dim",
    "running": "cyan",
    "paused": "blue",
    "completed": "green",
    "cancelled": "yellow",
    "interrupted": "yellow",
    "failed": "red",
    "diverged": "red",
    "pruned": "magenta",
}
CANCEL_WAIT_S = 10.0  # a running run stops within one iteration
# C0, DEL and C1: a terminal acts on them (colours, the title, the clipboard, a bell)
MULTILINE_FIELDS = frozenset({"notes"})  # text fields whose newlines and tabs are shown as such


def make_client(args: argparse.Namespace) -> Client:
    """A Client from --url/--token(-file), else LOSSBOARD_URL/LOSSBOARD_TOKEN, else the
    default URL."""
    url = args.url or os.environ.get("LOSSBOARD_URL") or DEFAULT_URL
    try:
        token = read_token_file(Path(args.token_file)) if args.token_file else args.token
    except ValueError as exc:
        raise ApiError(str(exc)) from None
    return Client(url, token or os.environ.get("LOSSBOARD_TOKEN"))


def stdout() -> Console:
    """stdout; piped, it is as wide as a table needs (rich would cut it to 80 columns)."""
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 200
    return console


def stderr() -> Console:
    return Console(stderr=True, highlight=False)


def run_command(client: Client, args: argparse.Namespace) -> int:
    """Start a run and print its id; with --follow, show it live and exit by how it ended."""
    try:
        spec = {"variant": args.variant, **spec_values(args, FLAGS)}
    except ValueError as exc:
        print(f"lossboard run: {exc}", file=sys.stderr)
        return 2
    run = client.create_run(spec)
    print(run["id"], flush=True)
    if not args.follow:
        return 0
    return finish(follow(client, run))


def follow(client: Client, run: dict) -> dict:
    """Show a progress bar fed by the run's websocket; return the run as it ended."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TextColumn("{task.fields[rate]} it/s"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=stderr()) as progress:
        total = run["config"]["iterations"]
        task = progress.add_task(describe(run), total=total, loss="-", rate="-")
        for message in client.follow_run(run["id"]):
            if message["type"] == "run":
                run = message["run"]
                progress.update(task, description=describe(run))
            elif message["type"] == "points" and message["loss"]:
                end = message["start"] + len(message["loss"])
                elapsed = message["time"][-1]
                rate = f"{end / elapsed:,.0f}" if elapsed > 0 else "-"
                progress.update(task, completed=end, loss=f"{message['loss'][-1]:.6g}", rate=rate)
    return run


def describe(run: dict) -> str:
    style = STATUS_STYLE.get(run["status"], "")
    return f"run {run['id']} {run['variant']} [{style}]{run['status']}[/]"


def finish(run: dict) -> int:
    """0 for a completed run; otherwise say how it ended on stderr and return 1."""
    if run["status"] == "completed":
        loss = number(run["last_loss"])
        print(f"run {run['id']} completed: {run['iteration']} iterations, loss {loss}")
        return 0
    reason = f": {plain(run['error'])}" if run.get("error") else ""
    print(f"lossboard: run {run['id']} {run['status']}{reason}", file=sys.stderr)
    return 1


def steps_done(run: dict) -> str:
    """`120/500` for a run the server trains; a script's run says no total: `120`."""
    total = run["config"].get("iterations")
    return f"{run['iteration']}/{total}" if total is not None else str(run["iteration"])


def runs_command(client: Client, args: argparse.Namespace) -> int:
    """A table of runs, newest first."""
    filters = {"status": args.status, "variant": args.variant, "tag": args.tag, "q": args.q}
    page = client.read_runs(**filters, sweep_id=args.sweep, limit=args.limit)
    table = Table(caption=f"{len(page['runs'])} of {page['total']} runs")
    for name in ("id", "variant", "name", "status", "device", "steps", "loss", "best", "it/s"):
        table.add_column(name, justify="right" if name in ("id", "steps", "it/s") else "left")
    table.add_column("created")
    for run in page["runs"]:
        table.add_row(
            str(run["id"]),
            literal(run["variant"] or run.get("source", "")),  # a script's run has none
            literal(run["name"]),
            literal(run["status"], style=STATUS_STYLE.get(run["status"], "")),
            literal(run["device"] or "-"),
            steps_done(run),
            number(run["last_loss"]),
            number(run["best_loss"]),
            number(run["iterations_per_second"], ",.0f"),
            local_time(run["created_at"]),
        )
    stdout().print(table)
    return 0


def show_command(client: Client, args: argparse.Namespace) -> int:
    """One run's fields and config (or its JSON with --json)."""
    run = client.read_run(args.id)
    if args.json:
        print(json.dumps(run, indent=2))
        return 0
    rows = list(show_rows(run))
    width = max(len(plain(key)) for key, _ in rows)
    console = stdout()
    for key, value in rows:
        # each line as long as it is: a grid would pad every line to the console's width
        name = literal(key, style="bold")
        line = Text.assemble(name, " " * (width - len(name) + 2), display(key, value))
        line.rstrip()  # an empty value (notes) leaves no spaces behind
        console.print(line, soft_wrap=True)
    return 0


def show_rows(run: dict) -> Iterator[tuple[str, object]]:
    """A run's fields, an object's (config, request, worker) one row per key: `config.seed`."""
    for key, value in run.items():
        if key in SUMMARIES:
            yield from SUMMARIES[key](value)
        elif isinstance(value, dict) and value:
            yield from ((f"{key}.{k}", v) for k, v in value.items())
        else:
            yield key, value


def event_rows(events: list[dict]) -> Iterator[tuple[str, object]]:
    """A run's hyperparameter changes, one row each: `events.0  step 120: lr 1e-06 → 1e-05`."""
    if not events:
        yield "events", []
    for i, e in enumerate(events):
        was = f"{number(e['old'])} → " if e["old"] is not None else ""
        yield f"events.{i}", f"step {e['step']}: {e['field']} {was}{number(e['new'])}"


def checkpoint_rows(checkpoint: dict | None) -> Iterator[tuple[str, object]]:
    """A run's last checkpoint on one row: the step it resumes at, its size and write."""
    if checkpoint is None:
        yield "checkpoint", None
        return
    when = local_time(datetime.fromtimestamp(checkpoint["at"], timezone.utc).isoformat())
    yield (
        "checkpoint",
        (
            f"step {checkpoint['step']}, {checkpoint['bytes']:,} bytes, written in "
            f"{checkpoint['seconds']:.3f} s at {when}"
        ),
    )


Rows = Iterator[tuple[str, object]]
# the fields that show summarises in its own rows, each with what makes them
SUMMARIES: dict[str, Callable[[Any], Rows]] = {"events": event_rows, "checkpoint": checkpoint_rows}


def display(key: str, value: object) -> Text:
    """One field of a run as `show` prints it: JSON's words (null, true), not Python's."""
    if key.endswith("_at") and value is not None:
        return Text(local_time(str(value)))
    if isinstance(value, list):  # tags as they are; a request's schedule as JSON
        value = ", ".join(v if isinstance(v, str) else json.dumps(v) for v in value) or "—"
    elif value is None or isinstance(value, bool | int | float | dict):
        value = "—" if value is None else json.dumps(value)
    keep = "\n\t" if key in MULTILINE_FIELDS else ""
    style = STATUS_STYLE.get(str(value), "") if key == "status" else ""
    return literal(value, keep, style=style)


def literal(value: object, keep: str = "", style: str = "") -> Text:
    """A server's text shown as it is: no rich markup, control characters escaped."""
    return Text(plain(value, keep), style=style)


def plain(value: object, keep: str = "") -> str:
    """A server's text with every non-printable character but `keep` escaped: controls as
    \\x1b, bidi and other format characters as \\u202e (they reorder what follows)."""
    text = "" if value is None else str(value)
    return "".join(c if c.isprintable() or c in keep else escaped(c) for c in text)


def escaped(char: str) -> str:
    """A character as \\xNN, \\uNNNN or \\UNNNNNNNN."""
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else char.encode("unicode_escape").decode()


def cancel_command(client: Client, args: argparse.Namespace) -> int:
    """Cancel a run, wait (briefly) until it has stopped, and say its status."""
    run = client.cancel_run(args.id)
    deadline = time.monotonic() + CANCEL_WAIT_S
    while run["status"] in LIVE_STATUSES and time.monotonic() < deadline:
        time.sleep(0.05)
        run = client.read_run(args.id)
    print(f"run {run['id']}: {run['status']}")
    return 0


def export_command(client: Client, args: argparse.Namespace) -> int:
    """Write a run's step,loss,time rows (CSV or JSON), or a sweep's runs' losses (CSV or a
    zipped TensorBoard logdir), to a file or stdout."""
    kind = "sweep" if args.sweep else "run"
    body = client.export(kind, args.id, args.format)
    if args.output is None:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
        return 0
    Path(args.output).write_bytes(body)
    print(f"wrote {kind} {args.id} to {args.output}", file=sys.stderr)
    return 0


def check_export(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """A format the API has for what is exported, or a usage error (exit 2)."""
    if args.sweep and args.format == "json":
        parser.error("a sweep exports as csv or tensorboard")


def variants_command(client: Client, args: argparse.Namespace) -> int:
    """Every variant, one table per tutorial, with the devices each can use and its defaults."""
    tutorials: dict[str, list[dict]] = {}
    for variant in client.read_variants():
        tutorials.setdefault(variant.get("tutorial", ""), []).append(variant)
    for tutorial, variants in tutorials.items():
        stdout().print(variants_table(tutorial, variants))
    return 0


def variants_table(tutorial: str, variants: list[dict]) -> Table:
    """One tutorial's variants: each one's sizes are its own (N, D_in, H, D_out or points)."""
    table = Table("id", "title", "devices", "iterations", "lr", "optimizer", "dtype", "sizes",
                  title=tutorial or None)  # fmt: skip
    for variant in variants:
        d = variant["defaults"]
        own = ("N", "D_in", "H", "D_out", "points")
        if variant.get("origin", "tutorial") != "tutorial":  # a plugin's: its own fields
            own = tuple(variant.get("fields_schema", {}).get("properties", {}))
        sizes = ", ".join(f"{k}={d[k]}" for k in own if k in d)
        table.add_row(
            variant["id"],
            variant["title"],
            ", ".join(variant["devices"]),
            number(d.get("iterations"), ",.0f"),
            number(d.get("learning_rate")),
            d.get("optimizer") or "",
            d.get("dtype") or "",
            sizes,
        )
    return table


def devices_command(client: Client, args: argparse.Namespace) -> int:
    """The devices the server can run on, which one `auto` picks, and where runs train."""
    system = client.read_system()
    table = Table("id", "kind", "name", "memory")
    for device in system["devices"]:
        memory = device.get("memory_total")
        size = f"{memory / 2**30:.1f} GiB" if memory else ""
        table.add_row(device["id"], device["kind"], device["name"], size)
    console = stdout()
    console.print(table)
    cuda = "available" if system["cuda_available"] else "not available"
    console.print(f"auto picks {system['default_device']}; torch {system['torch']}, CUDA {cuda}")
    if cluster := system.get("cluster"):
        console.print(nodes_table(cluster["nodes"]))
        reachable = "reachable" if cluster["reachable"] else "[red]unreachable[/]"
        queued = ", ".join(f"{lane} {n}" for lane, n in system["queued"].items())
        console.print(f"executor ray at {cluster['address']} ({reachable}); queued: {queued}")
    else:
        console.print("executor local: runs train on the server's own machine")
    return 0


def nodes_table(nodes: list[dict]) -> Table:
    """The Ray cluster's nodes, with their CPUs and GPUs."""
    table = Table("node", "host", "alive", "CPUs", "GPUs", "GPU names", title="Ray nodes")
    for node in nodes:
        table.add_row(
            node["id"],
            node["host"],
            "[green]yes[/]" if node["alive"] else "[red]no[/]",
            str(node["cpus"]),
            str(node["gpus"]),
            ", ".join(node["gpu_names"]),
        )
    return table


def number(value: float | None, spec: str = ".6g") -> str:
    return "" if value is None else format(value, spec)


def local_time(stamp: str | None) -> str:
    """An ISO timestamp from the API in this machine's local time, to the second."""
    if not stamp:
        return ""
    when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if when.tzinfo is not None:
        when = when.astimezone()
    return when.strftime("%Y-%m-%d %H:%M:%S")
