"""The sweep subcommands: start a sweep (and follow it live), list sweeps, show one."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator

from rich.live import Live
from rich.table import Table

from server.cli.client import Client
from server.cli.commands import local_time, number, stderr, stdout
from server.cli.sweep_table import (
    SweepView,
    best_line,
    counts_text,
    printable,
    shown,
    status_text,
)


def sweep_command(client: Client, args: argparse.Namespace) -> int:
    """Start a sweep, print its id and page; with --follow, show it live and exit by its end."""
    sweep = client.create_sweep(args.spec)
    print(sweep["id"], flush=True)
    print(f"{client.url}/sweeps/{sweep['id']}", flush=True)
    if not args.follow:
        return 0
    sweep = follow(client, sweep)
    stdout().print(SweepView(sweep, client.read_sweep_runs(sweep["id"])).table())
    return finish(sweep)


def follow(client: Client, sweep: dict) -> dict:
    """A live table on stderr fed by the sweep's websocket; return the sweep as it ended."""
    messages = client.follow_sweep(sweep["id"])
    view = first_view(client, sweep, messages)
    # transient: on a terminal the final table (on stdout) replaces it; piped, it prints nothing
    with Live(view.table(live=True), console=stderr(), transient=True, auto_refresh=False) as live:
        for message in messages:
            view.apply(message)
            live.update(view.table(live=True), refresh=True)
    return view.sweep


def first_view(client: Client, sweep: dict, messages: Iterator[dict]) -> SweepView:
    """The view once the socket is open, so the runs read now are no older than its news."""
    first = next(messages, {"type": "sweep", "sweep": sweep})
    view = SweepView(sweep, client.read_sweep_runs(sweep["id"]))
    view.apply(first)
    return view


def finish(sweep: dict) -> int:
    """0 for a completed sweep; a cancelled or interrupted one is a line on stderr and 1."""
    counts = counts_text(sweep["counts"], plain=True)
    if sweep["status"] == "completed":
        print(f"sweep {sweep['id']} completed: {len(sweep['run_ids'])} runs ({counts})")
        return 0
    print(f"lossboard: sweep {sweep['id']} {sweep['status']} ({counts})", file=sys.stderr)
    return 1


def sweeps_command(client: Client, args: argparse.Namespace) -> int:
    """A table of sweeps, newest first."""
    page = client.read_sweeps(limit=args.limit)
    table = Table(caption=f"{len(page['sweeps'])} of {page['total']} sweeps")
    for name in ("id", "name", "status", "runs", "counts", "best loss", "created"):
        table.add_column(name, justify="right" if name in ("id", "runs", "best loss") else "left")
    for sweep in page["sweeps"]:
        best = sweep.get("best") or {}
        table.add_row(
            str(sweep["id"]),
            shown(sweep["name"] or ""),
            status_text(sweep["status"]),
            str(len(sweep["run_ids"])),
            counts_text(sweep["counts"]),
            number(best.get("loss")),
            local_time(sweep["created_at"]),
        )
    stdout().print(table)
    return 0


def sweep_cancel_command(client: Client, args: argparse.Namespace) -> int:
    """Cancel a running sweep: its queued runs never start, its running ones stop."""
    sweep = client.cancel_sweep(args.id)
    print(f"sweep {sweep['id']}: {sweep['status']} ({counts_text(sweep['counts'], plain=True)})")
    return 0


def sweep_show_command(client: Client, args: argparse.Namespace) -> int:
    """One sweep: its spec, counts and best, then a table of its points (or its JSON)."""
    sweep = client.read_sweep(args.id)
    if args.json:
        print(json.dumps(sweep, indent=2))
        return 0
    console = stdout()
    console.print(fields_grid(sweep))
    console.print(SweepView(sweep, client.read_sweep_runs(args.id)).table())
    return 0


def fields_grid(sweep: dict) -> Table:
    """The sweep's fields and its normalised spec, one per line (spec.params.FIELD, ...)."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("id", str(sweep["id"]))
    grid.add_row("name", shown(sweep["name"] or ""))
    grid.add_row("status", status_text(sweep["status"]))
    grid.add_row("created", local_time(sweep["created_at"]))
    grid.add_row("counts", counts_text(sweep["counts"]))
    grid.add_row("best", best_line(sweep))
    for key, value in flat(sweep["spec"], "spec"):
        grid.add_row(shown(key), shown(value))
    grid.add_row("run ids", ", ".join(map(str, sweep["run_ids"])))
    return grid


def flat(value: object, key: str) -> Iterator[tuple[str, object]]:
    """(dotted key, value) pairs of nested objects; a list or range is one comma-joined value."""
    if isinstance(value, dict) and value:
        for k, v in value.items():
            yield from flat(v, f"{key}.{k}")
    elif isinstance(value, list):
        yield key, ", ".join(printable(v) for v in value)
    elif value is not None and value != {}:
        yield key, value
