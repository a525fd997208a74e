"""What the server and its clients (the pages, the CLI, scripts) agree on: run statuses,
websocket close codes, a sweep's progress entries. Light on purpose: the CLI imports it
without torch."""

from __future__ import annotations

from enum import IntEnum
from typing import Literal, get_args

RunStatus = Literal[
    "queued",
    "running",
    "paused",
    "completed",
    "cancelled",
    "failed",
    "diverged",
    "interrupted",
    "pruned",
]
STATUSES: tuple[str, ...] = get_args(RunStatus)
RunSource = Literal["job", "sdk"]  # trained by the server, or logged by a script
LIVE_STATUSES: tuple[str, ...] = ("queued", "running")
# Neither live nor finished: it holds no lane and waits, with its checkpoint, to be resumed
PAUSED_STATUSES: tuple[str, ...] = ("paused",)
FINISHED_STATUSES: tuple[str, ...] = tuple(
    s for s in STATUSES if s not in LIVE_STATUSES + PAUSED_STATUSES
)
# What POST /resume continues from its last checkpoint
RESUMABLE_STATUSES: tuple[str, ...] = ("paused", "interrupted")
# SQLite's largest integer: run ids, steps, offsets and sizes stay within it
MAX_INTEGER = 2**63 - 1


class CloseCode(IntEnum):
    """How the server ends a websocket, and why."""

    DONE = 1000  # the run ended and every point was sent
    ERROR = 1011  # the server failed while streaming
    BUSY = 1013  # over LOSSBOARD_MAX_SUBSCRIBERS websockets at once: try again later
    UNAUTHORIZED = 4401  # no valid token
    FORBIDDEN = 4403  # a page of another site
    UNKNOWN_RUN = 4404  # no such run
    INVALID = 4422  # a parameter is invalid (`after` below -1, a run id that is not one)


def run_progress(run: dict) -> dict:
    """A RunPublic as a /ws/sweeps `progress` message lists it."""
    return {
        "id": run["id"],
        "status": run["status"],
        "step": run["iteration"],
        "iterations": run["config"].get("iterations"),  # a script's run has none
        "loss": run["last_loss"],
        "best_loss": run["best_loss"],
    }


def page_constants() -> dict:
    """The statuses and close codes as the pages read them (rendered into every page)."""
    return {
        "statuses": list(STATUSES),
        "live": list(LIVE_STATUSES),
        "paused": list(PAUSED_STATUSES),
        "finished": list(FINISHED_STATUSES),
        "close": {code.name: code.value for code in CloseCode},
    }
