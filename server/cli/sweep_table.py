"""A sweep's points (one per set of swept values, with its seeds' runs) as rich tables."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field

from rich.markup import escape
from rich.progress_bar import ProgressBar
from rich.table import Table

from server.cli.commands import STATUS_STYLE
from server.protocol import FINISHED_STATUSES, LIVE_STATUSES, STATUSES, run_progress

NO_LOSS = ("failed", "diverged")  # their losses say nothing about the point
PROGRESS_FIELDS = ("status", "step", "iterations", "loss", "best_loss")
BEST = "★"
LIVE_COLUMNS = ("progress", "steps", "runs", "final loss")
COLUMNS = ("runs", "final loss", "best loss", "run ids")


@dataclass
class Point:
    """One set of swept values and the ids of its runs (one per seed)."""

    params: dict
    run_ids: list[int] = field(default_factory=list)


class SweepView:
    """What a sweep's table shows: the sweep, and each run's progress, grouped into points."""

    def __init__(self, sweep: dict, runs: list[dict]) -> None:
        self.sweep = sweep
        self.runs: dict[int, dict] = {}
        self.points: dict[str, Point] = {}
        for run in sorted(runs, key=lambda r: r["id"]):
            params = run.get("sweep_params") or {}  # with its variant when several are crossed
            key = json.dumps(params, sort_keys=True)
            self.points.setdefault(key, Point(params)).run_ids.append(run["id"])
            self.runs[run["id"]] = run_progress(run)

    def apply(self, message: dict) -> None:
        """Take in a /ws/sweeps message: the sweep itself, or some of its runs' progress."""
        if message["type"] == "sweep":
            self.sweep = message["sweep"]
        elif message["type"] == "progress":
            for update in message["runs"]:
                self.merge(update)

    def merge(self, update: dict) -> None:
        """Take a run's progress unless it is older than what this view has already."""
        known = self.runs.get(update["id"])
        if known is None:
            return
        stale = known["status"] in FINISHED_STATUSES and update["status"] in LIVE_STATUSES
        if not stale and update.get("step", 0) >= known["step"]:
            known.update({k: update[k] for k in PROGRESS_FIELDS if k in update})

    def table(self, live: bool = False) -> Table:
        """One row per point: live with a progress bar, else with the best losses and run ids."""
        names = list(dict.fromkeys(k for p in self.points.values() for k in p.params))
        caption = "\n".join(
            filter(None, (counts_text(self.sweep["counts"]), best_line(self.sweep)))
        )
        table = Table(title=title(self.sweep), caption=caption, caption_justify="left")
        table.add_column(BEST)
        for name in names:
            table.add_column(shown(name), justify="right")
        columns = LIVE_COLUMNS if live else COLUMNS
        for name in columns:
            table.add_column(name, justify="left" if name in ("progress", "runs") else "right")
        best_id = (self.sweep.get("best") or {}).get("run_id")
        for point in self.points.values():
            runs = [self.runs[i] for i in point.run_ids]
            cells = [BEST if best_id in point.run_ids else ""]
            cells += [shown(point.params.get(name, "")) for name in names]
            cells += live_cells(runs) if live else []
            cells += [counts_text(runs_counts(runs)), spread(runs, "loss")]
            cells += [] if live else [spread(runs, "best_loss"), ids_text(point.run_ids)]
            table.add_row(*cells, style="bold" if cells[0] else None)
        return table


def live_cells(runs: list[dict]) -> list:
    """A bar of the steps done out of all the point's steps (every seed), and the numbers."""
    done, total = sum(r["step"] for r in runs), sum(r["iterations"] for r in runs)
    return [ProgressBar(total=max(total, 1), completed=done, width=24), f"{done}/{total}"]


def runs_counts(runs: list[dict]) -> dict[str, int]:
    return {s: n for s in STATUSES if (n := sum(r["status"] == s for r in runs))}


def counts_text(counts: dict[str, int], plain: bool = False) -> str:
    """'2 completed, 1 running', in the order of the statuses, each in its colour unless plain."""
    parts = [(s, counts[s]) for s in STATUSES if counts.get(s)]
    return ", ".join(f"{n} {s}" if plain else status_text(s, f"{n} {s}") for s, n in parts)


def status_text(status: str, text: str | None = None) -> str:
    """`text` (the status itself by default) in the status's colour."""
    return f"[{STATUS_STYLE.get(status, '')}]{text or status}[/]"


def spread(runs: list[dict], key: str) -> str:
    """Mean ± standard deviation (of the population, as the pages draw it) across seeds."""
    losses = [r[key] for r in runs if r[key] is not None and r["status"] not in NO_LOSS]
    if not losses:
        return ""
    mean = f"{statistics.fmean(losses):.4g}"
    return mean if len(losses) == 1 else f"{mean} ± {statistics.pstdev(losses):.2g}"


def title(sweep: dict) -> str:
    name = f" {shown(sweep['name'])}" if sweep.get("name") else ""
    return f"sweep {sweep['id']}{name}: {status_text(sweep['status'])}"


def best_line(sweep: dict) -> str:
    """'★ best: run 12, loss 0.0123 (learning_rate=1e-05)', or '' before any loss."""
    best = sweep.get("best")
    if not best:
        return ""
    params = params_text(best["params"])
    return f"{BEST} best: run {best['run_id']}, loss {best['loss']:.6g} ({params})"


def params_text(params: dict) -> str:
    return ", ".join(f"{shown(k)}={shown(v)}" for k, v in (params or {}).items())


def ids_text(ids: list[int]) -> str:
    return ", ".join(map(str, ids))


def shown(value: object) -> str:
    """A value as rich text: printable() with rich's markup characters escaped."""
    return escape(printable(value))


def printable(value: object) -> str:
    """A value as text: floats to 6 digits, control characters as escapes (\\x1b, \\u202e)."""
    if isinstance(value, float):
        value = format(value, ".6g")
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode() for c in str(value)
    )
