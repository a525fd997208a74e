"""Log your own training to a lossboard server: `run = lossboard.init(...)`, `run.log({...})`;
or declare your own loop as a job the server runs: `@lossboard.variant(...)`.

Importing this loads only the standard library; the transport comes with init().
"""

from __future__ import annotations

import atexit
import os
import sys
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from lossboard.declare import variant
from lossboard.errors import LossboardError
from lossboard.run import Config, Run

if TYPE_CHECKING:
    import argparse

__all__ = ["Config", "LossboardError", "Run", "finish", "init", "log", "variant"]

DEFAULT_URL = "http://127.0.0.1:8000"
MODES = ("online", "offline", "disabled")
current: Run | None = None  # the run init() started last, for log() and finish() here
_started: list[Run] = []  # every run init() started, for the exit hook
_exception: list[BaseException] = []  # what ended the script, for the exit hook


def init(
    name: str | None = None,
    config: Mapping[str, Any] | argparse.Namespace | None = None,
    tags: Sequence[str] | None = None,
    notes: str | None = None,
    url: str | None = None,
    token: str | None = None,
    mode: str | None = None,
    resume: int | None = None,
    *,
    project: str | None = None,
    primary: str | None = None,
    dir: str | os.PathLike[str] | None = None,
    **ignored: Any,
) -> Run:
    """Start a run and return it; online, wait for the server (a bad URL or token raises).

    `url`, `token` and `mode` default to $LOSSBOARD_URL, $LOSSBOARD_TOKEN, $LOSSBOARD_MODE;
    `project` (W&B's) becomes a tag; `dir` holds offline runs and the spool ($LOSSBOARD_DIR,
    else ./lossboard-runs). Other W&B arguments are ignored, with a warning.
    """
    global current
    mode = mode or os.environ.get("LOSSBOARD_MODE") or "online"
    if mode not in MODES:
        raise LossboardError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    warn_ignored(ignored)
    tags = [*(tags or []), *([project] if project else [])]
    if config is not None and not isinstance(config, Mapping):
        config = vars(config)  # an argparse.Namespace, as W&B takes
    key = uuid.uuid4().hex  # makes the create idempotent, and `lossboard sync` find the run
    meta: dict[str, Any] = {"name": name, "config": dict(config or {}), "tags": tags,
                            "notes": notes, "primary": primary, "client_key": key,
                            "resume": resume}  # fmt: skip
    root = Path(dir or os.environ.get("LOSSBOARD_DIR") or "lossboard-runs")
    if mode == "disabled":
        run = Run(None, None, config, None)
    elif mode == "offline":
        from lossboard import offline

        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        run = offline.start(meta, root / f"offline-{stamp}-{key[:8]}")
    else:
        from lossboard import online

        url = url or os.environ.get("LOSSBOARD_URL") or DEFAULT_URL
        token = token or os.environ.get("LOSSBOARD_TOKEN") or None
        run = online.start(url, token, meta, root)
    current = run
    _started.append(run)
    watch_exit()
    return run


def log(metrics: Mapping[str, Any], step: int | None = None, **ignored: Any) -> None:
    """The current run's log() (as `wandb.log`)."""
    warn_ignored(ignored)
    active().log(metrics, step)


def finish(exit_code: int | None = None, timeout: float = 30.0, **ignored: Any) -> int:
    """Finish the current run (as `wandb.finish`): completed, or failed for a non-zero code."""
    global current
    warn_ignored(ignored)
    run, current = active(), None
    status = "failed" if exit_code else "completed"
    error = f"exit code {exit_code}" if exit_code else None
    return run.finish(status, error, timeout)


def active() -> Run:
    if current is None:
        raise LossboardError("call lossboard.init() first")
    return current


def __getattr__(name: str) -> Any:
    """`lossboard.config`, `.summary` and `.run` (as W&B's) are the current run's."""
    if name == "run":
        return current
    if name == "config":
        return current.config if current else Config()
    if name == "summary":
        return current.summary if current else {}
    raise AttributeError(f"module 'lossboard' has no attribute {name!r}")


def warn_ignored(ignored: Mapping[str, Any]) -> None:
    if ignored:
        import warnings

        names = ", ".join(sorted(ignored))
        warnings.warn(f"lossboard ignores these W&B arguments: {names}", stacklevel=3)


def watch_exit() -> None:
    """Finish a run the script left open when it exits: completed, cancelled after Ctrl-C,
    failed after an exception (as W&B does)."""
    if _exception or getattr(watch_exit, "installed", False):
        return
    previous = sys.excepthook

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        _exception.append(exc)
        previous(kind, exc, tb)

    sys.excepthook = hook
    atexit.register(finish_at_exit)
    watch_exit.installed = True  # type: ignore[attr-defined]


def finish_at_exit() -> None:
    """Finish every run still open, by how the script ended."""
    exc = _exception[-1] if _exception else None
    for run in _started:
        if run._ended is not None:
            continue
        if exc is None:
            run.finish()
        elif isinstance(exc, KeyboardInterrupt):
            run.finish("cancelled", "interrupted from the keyboard (Ctrl-C)")
        else:
            run.finish("failed", f"{type(exc).__name__}: {exc}")
