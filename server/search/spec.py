"""What a search or a pruned sweep may ask for, checked before anything is recorded; how a
point is scored (the objective) and how often its runs report to the pruner."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from server.training.spec import ConfigError

if TYPE_CHECKING:  # sweep_spec.py imports this module to check a sweep
    from server.training.sweep_spec import Domain, SweepSpec

SEARCH_METHODS = ("tpe", "cmaes", "gp", "qmc")
REPORTS_PER_RUN = 100  # report_every's default: 1% of a run's iterations


def needs_study(spec: dict[str, Any]) -> bool:
    """Whether a (normalised) sweep keeps an Optuna study: a search, a pruner or an objective."""
    return (
        spec.get("method") in SEARCH_METHODS
        or spec.get("pruner", "none") != "none"
        or spec.get("objective") is not None
    )


def check_search(spec: SweepSpec, variants: Sequence[str]) -> None:
    """Refuse what Optuna would take but do badly, or what the search cannot score."""
    if spec.method in SEARCH_METHODS:
        if len(variants) > 1:
            raise ConfigError("variants", f"method {spec.method} searches one variant: give one")
        if not spec.params:
            raise ConfigError("params", f"method {spec.method} needs a field to search")
    if spec.method == "cmaes":
        for field, domain in spec.params.items():
            if domain.values is not None:  # CmaEsSampler samples these at random, with a warning
                raise ConfigError(
                    f"params.{field}",
                    "cmaes searches ranges only: give a range, or use tpe for a values list",
                )
    if spec.objective == "mean_last" and spec.k is None:
        raise ConfigError("k", "objective mean_last needs k, the number of last losses averaged")
    if spec.k is not None and spec.objective != "mean_last":
        raise ConfigError("k", "k is for objective mean_last")
    if spec.report_every is not None and spec.pruner == "none":
        raise ConfigError("report_every", "report_every is for a pruner: give one")


def corner_points(params: dict[str, Domain]) -> list[dict[str, Any]]:
    """Points that together reach every bound and every listed value of the domains."""
    widest = max((len(d.values or ()) for d in params.values()), default=0)
    corners = []
    for i in range(max(widest, 2)):
        point = {}
        for field, domain in params.items():
            if domain.values is not None:
                point[field] = domain.values[i % len(domain.values)]
            else:
                bounds = domain.log_uniform or domain.uniform or domain.int_uniform
                assert bounds is not None
                point[field] = bounds[i % 2]
        corners.append(point)
    return corners


def report_every(spec: dict[str, Any], iterations: int) -> int:
    """Steps between a run's reports: the sweep's, or 1% of the run's iterations."""
    return spec.get("report_every") or max(1, math.ceil(iterations / REPORTS_PER_RUN))


def score(objective: str | None, k: int | None, losses: Sequence[float]) -> float | None:
    """What the losses so far score by the objective: final (default), best or mean_last k."""
    if not losses:
        return None
    if objective == "best":
        return min(losses)
    if objective == "mean_last":
        tail = losses[-(k or 1) :]
        return math.fsum(tail) / len(tail)
    return losses[-1]
