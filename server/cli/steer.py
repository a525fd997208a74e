"""The `lossboard` commands that steer a run: pause, resume, step, hyper; and model, which
downloads its trained weights."""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from server.cli.client import Client
from server.cli.commands import number, plain

PAUSE_WAIT_S = 10.0  # a running run pauses at its next step boundary, and checkpoints first
POLL_S = 0.05


def pause_command(client: Client, args: argparse.Namespace) -> int:
    """Pause a running run, wait (briefly) until it has, and say at which step."""
    run = settled(client, client.pause_run(args.id), ("running",), PAUSE_WAIT_S)
    if run["status"] == "paused":
        print(f"run {run['id']} paused at step {run['iteration']}")
        return 0
    if run["status"] == "running":  # a slow step, or a Ray task that has not answered yet
        print(f"run {run['id']} pauses at its next step")
        return 0
    print(f"lossboard: run {run['id']} {run['status']} before it could pause", file=sys.stderr)
    return 1


def resume_command(client: Client, args: argparse.Namespace) -> int:
    """Queue a paused or interrupted run again; say where it goes on from."""
    print(client.resume_run(args.id)["message"])
    return 0


def step_command(client: Client, args: argparse.Namespace) -> int:
    """Run N more steps of a paused run, wait until it pauses again, and show its loss."""
    answer = client.step_run(args.id, args.n)
    start = answer["step"]
    run = settled(client, answer["run"], ("queued", "running"), None)
    if run["status"] not in ("paused", "completed"):
        reason = f": {plain(run['error'])}" if run.get("error") else ""
        print(f"lossboard: run {run['id']} {run['status']}{reason}", file=sys.stderr)
        return 1
    end = run["iteration"]
    steps = f"step {start}" if end - start == 1 else f"steps {start} to {end - 1}"
    then = f"paused at step {end}" if run["status"] == "paused" else "completed"
    print(f"run {run['id']} ran {steps}: loss {number(run['last_loss'])}; {then}")
    return 0


def hyper_command(client: Client, args: argparse.Namespace) -> int:
    """Change a running or paused run's learning rate (or momentum); say from when."""
    changes = {k: v for k, v in (("learning_rate", args.lr), ("momentum", args.momentum))
               if v is not None}  # fmt: skip
    answer = client.change_hyper(args.id, changes)
    run = answer["run"]
    when = "its next step" if run["status"] == "running" else "the step it resumes at"
    said = ", ".join(f"{k} {number(v)}" for k, v in answer["changes"].items())
    print(f"run {run['id']} takes {said} from {when}")
    return 0


def model_command(client: Client, args: argparse.Namespace) -> int:
    """Download a run's trained model to a file (or stdout with `-o -`)."""
    if args.output == "-":
        step = client.download_model(args.id, sys.stdout.buffer)
        sys.stdout.flush()
        print(f"run {args.id}'s weights: those that gave its loss at step {step}", file=sys.stderr)
        return 0
    # the name the run page's loading lines read (server/training/variants/models.py)
    path = Path(args.output or f"run-{args.id}.pt")
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("wb") as out:
            step = client.download_model(args.id, out)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    size = path.stat().st_size
    print(f"wrote {plain(path)} ({size:,} bytes): run {args.id}'s weights, those that gave its "
          f"loss at step {step}")  # fmt: skip
    return 0


def settled(client: Client, run: dict, moving: tuple[str, ...], wait_s: float | None) -> dict:
    """The run once its status is none of `moving` (or `wait_s` has passed)."""
    deadline = None if wait_s is None else time.monotonic() + wait_s
    while run["status"] in moving and (deadline is None or time.monotonic() < deadline):
        time.sleep(POLL_S)
        run = client.read_run(run["id"])
    return run


def finite(text: str) -> float:
    """A number JSON can carry (it has no NaN nor infinity); the API judges the rest."""
    value = float(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number")
    return value


def add_steer_commands(add: Callable[..., argparse.ArgumentParser]) -> None:
    """The subcommands above, each added with `add(name, handler, help)` (main.py's)."""
    pause = add("pause", pause_command, "pause a running run at its next step (it checkpoints)")
    pause.add_argument("id", type=int)
    resume = add("resume", resume_command, "go on with a paused or interrupted run")
    resume.add_argument("id", type=int)
    step = add("step", step_command, "run a paused run N more steps, then pause it again")
    step.add_argument("id", type=int)
    step.add_argument("-n", type=int, default=1, help="how many steps (default 1)")
    hyper = add("hyper", hyper_command, "change a running or paused run's learning rate")
    hyper.add_argument("id", type=int)
    hyper.add_argument("--lr", "--learning-rate", type=finite, metavar="LR",
                       help="the new learning rate")  # fmt: skip
    hyper.add_argument("--momentum", type=finite, help="SGD's momentum (dynamic, poly_dynamic)")
    hyper.set_defaults(check=lambda args: check_hyper(hyper, args))
    model = add("model", model_command, "download a run's trained model (torch.save's file)")
    model.add_argument("id", type=int)
    model.add_argument("-o", "--output", metavar="FILE",
                       help="where to write it (default run-ID.pt; - for stdout)")  # fmt: skip


def check_hyper(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """At least one hyperparameter, or a usage error (exit 2)."""
    if args.lr is None and args.momentum is None:
        parser.error("give --lr, --momentum or both")
