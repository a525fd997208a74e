"""A point of a study: its trial and its runs (one per seed), what they report to the pruner,
and what the point is told as once they have all ended.

How a point is told (Optuna learns nothing from a failed trial, and TPE's start-up trials
count only complete and pruned ones):
- a run that failed or was cancelled fails the point (a FAIL trial);
- a pruned run prunes it (PRUNED, with its last report);
- a diverged run scores its first loss, the untrained network's: finite, on the task's own
  scale, and no better than not training. On `nn` most of a wide learning-rate range
  diverges, so telling those points as failed would leave TPE sampling at random for most of
  its budget; told this way, it learns where divergence lies. (A divergent run's last finite
  loss is often near the float's overflow, which would swamp CMA-ES's and GP's scale.)
- otherwise the point scores the mean of its runs' scores by the sweep's objective.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import optuna
from optuna.trial import TrialState

from server.search.spec import score

FAILING = ("failed", "cancelled")


@dataclass
class Point:
    """One trial and the runs training it; `reports` holds each step's values by run."""

    trial: optuna.Trial
    run_ids: list[int]
    seeds: dict[int, int] = field(default_factory=dict)  # run id: its seed's index
    ended: dict[int, tuple[str, float | None]] = field(default_factory=dict)  # status, score
    reports: dict[int, dict[int, float]] = field(default_factory=dict)  # step: run id: value
    reported: dict[int, int] = field(default_factory=dict)  # run id: steps it has reported
    sent: set[int] = field(default_factory=set)  # the steps reported to the trial
    pruning: bool = False
    told: bool = False

    def expected(self) -> list[int]:
        """The runs whose values a report waits for: those that have not ended early."""
        return [i for i in self.run_ids if self.ended.get(i, ("", None))[0] in ("", "completed")]

    def take(self, run_id: int, losses: Sequence[float], every: int, obj: tuple) -> list[int]:
        """Record a run's values at the report steps it has passed; the steps now complete."""
        steps = range(self.reported.get(run_id, 0) + every, len(losses) + 1, every)
        for step in steps:
            value = score(obj[0], obj[1], losses[:step])
            if value is not None and math.isfinite(value):
                self.reports.setdefault(step, {})[run_id] = value
        if steps:
            self.reported[run_id] = steps[-1]
        want = set(self.expected())
        return [s for s in steps if want and want <= set(self.reports.get(s, {}))]

    def report(self, steps: list[int]) -> bool:
        """Report the mean over the runs at each complete step; whether to prune the point."""
        if self.pruning or self.told or not steps:
            return False
        for step in steps:
            if step not in self.sent:
                values = [self.reports[step][i] for i in self.expected()]
                self.trial.report(math.fsum(values) / len(values), step)
                self.sent.add(step)
        self.pruning = self.trial.should_prune()
        return self.pruning

    def finished(self) -> bool:
        return bool(self.run_ids) and all(i in self.ended for i in self.run_ids)

    def verdict(self) -> tuple[TrialState, float | None, int]:
        """How the ended point is told: its state, its score, and how many runs diverged."""
        statuses = [status for status, _ in self.ended.values()]
        diverged = statuses.count("diverged")
        scores = [s for _, s in self.ended.values()]
        if any(s in FAILING for s in statuses):
            return TrialState.FAIL, None, diverged
        if "pruned" in statuses:
            return TrialState.PRUNED, None, diverged
        if None in scores:  # a run that diverged at its first step: nothing to score
            return TrialState.FAIL, None, diverged
        values = [s for s in scores if s is not None]
        return TrialState.COMPLETE, math.fsum(values) / len(values), diverged


def run_score(status: str, losses: Sequence[float], objective: tuple) -> float | None:
    """A finished run's score: by the objective, or a diverged run's first loss."""
    if status == "diverged":
        return float(losses[0]) if len(losses) else None
    if status in ("completed", "pruned"):
        return score(objective[0], objective[1], losses)
    return None


def tell(study: optuna.Study, point: Point) -> dict[str, Any]:
    """Tell the study how the point ended; the trial's attributes for the record."""
    state, value, diverged = point.verdict()
    point.trial.set_user_attr("diverged", diverged)
    if state is TrialState.COMPLETE:
        study.tell(point.trial, value)
    else:
        study.tell(point.trial, state=state)
    point.told = True
    return {"state": state.name, "value": value, "diverged": diverged}


def stored_score(store: Any, row: dict, objective: tuple) -> float | None:
    """A stored run's score, as run_score() gives a live one's."""
    status, kind, k = row["status"], objective[0], objective[1] or 1
    if status == "diverged":
        first = store.read_losses(row["id"], -1, 1)[1]
        return float(first[0]) if len(first) else None
    if status not in ("completed", "pruned"):
        return None
    if kind == "best":
        return row["best_loss"]
    if kind == "mean_last":
        tail = store.read_losses(row["id"], max(-1, row["iteration"] - k - 1))[1]
        return float(tail.mean()) if len(tail) else None
    return row["last_loss"]
