"""The `lossboard` commands that change runs: delete, rerun, rename, tag, note; and follow."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from server.cli.client import Client
from server.cli.commands import finish, follow, plain


def delete_command(client: Client, args: argparse.Namespace) -> int:
    """Delete finished runs, one line each; a live one is refused (cancel it first)."""
    for run_id in args.ids:
        client.delete_run(run_id)
        print(f"deleted run {run_id}")
    return 0


def rerun_command(client: Client, args: argparse.Namespace) -> int:
    """Queue a finished run's request again and print the new run's id (--follow as `run`)."""
    changes = {"seed": None} if args.new_seed else {}
    if args.seed is not None:
        changes = {"seed": args.seed}
    run = client.rerun_run(args.id, changes)
    print(run["id"], flush=True)
    return finish(follow(client, run)) if args.follow else 0


def rename_command(client: Client, args: argparse.Namespace) -> int:
    """Set a run's name ("" clears it)."""
    run = client.edit_run(args.id, {"name": args.name})
    print(f"run {run['id']}: {plain(run['name']) or 'no name'}")
    return 0


def tag_command(client: Client, args: argparse.Namespace) -> int:
    """Add tags to a run, or take them off with --remove; print the tags it has after."""
    tags = client.read_run(args.id)["tags"]
    if args.remove:
        tags = [tag for tag in tags if tag not in args.tags]
    else:
        tags += [tag for tag in args.tags if tag not in tags]
    run = client.edit_run(args.id, {"tags": tags})
    print(f"run {run['id']}: {', '.join(plain(tag) for tag in run['tags']) or 'no tags'}")
    return 0


def note_command(client: Client, args: argparse.Namespace) -> int:
    """Set a run's notes: the text given, or stdin with `-`; --append adds a line instead."""
    text = sys.stdin.read().rstrip("\n") if args.text == "-" else args.text
    if args.append:
        notes = client.read_run(args.id)["notes"]
        text = f"{notes}\n{text}" if notes else text
    client.edit_run(args.id, {"notes": text})
    print(f"run {args.id}: notes saved")
    return 0


def follow_command(client: Client, args: argparse.Namespace) -> int:
    """Follow a run live, as `run --follow` does, and exit by how it ends."""
    return finish(follow(client, client.read_run(args.id)))


def add_edit_commands(add: Callable[..., argparse.ArgumentParser]) -> None:
    """The subcommands above, each added with `add(name, handler, help)` (main.py's)."""
    delete = add("delete", delete_command, "delete finished runs and their losses")
    delete.add_argument("ids", type=int, nargs="+", metavar="id")
    rerun = add("rerun", rerun_command, "run a finished run's request again; print the new id")
    rerun.add_argument("id", type=int)
    seeds = rerun.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, help="this seed instead of the run's own")
    seeds.add_argument("--new-seed", action="store_true", help="a fresh random seed")
    rerun.add_argument("--follow", action="store_true", help="show progress, as `run` does")
    rename = add("rename", rename_command, "set a run's name")
    rename.add_argument("id", type=int)
    rename.add_argument("name", help='the new name ("" clears it)')
    tag = add("tag", tag_command, "add tags to a run (or --remove them)")
    tag.add_argument("id", type=int)
    tag.add_argument("tags", nargs="+", metavar="tag")
    tag.add_argument("--remove", action="store_true", help="take these tags off instead")
    note = add("note", note_command, "set a run's notes")
    note.add_argument("id", type=int)
    note.add_argument("text", help="the notes; - reads them from stdin")
    note.add_argument("--append", action="store_true", help="add a line to the notes instead")
    add("follow", follow_command, "follow a run live until it ends").add_argument("id", type=int)
