"""A sweep's Optuna study: kept in `<data_dir>/studies/sweep-<id>.journal` (Optuna's journal
storage, an append-only log with no schema to migrate), its sampler, pruner and distributions."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

from server.search.spec import SEARCH_METHODS, report_every

optuna.logging.set_verbosity(logging.WARNING)  # not a line per trial in the server's log


def study_path(data_dir: Path, sweep_id: int) -> Path:
    return data_dir / "studies" / f"sweep-{sweep_id}.journal"


def open_study(data_dir: Path, sweep_id: int, spec: dict[str, Any], seed: int) -> optuna.Study:
    """The sweep's study, made on first open; the sampler and pruner come from its spec."""
    path = study_path(data_dir, sweep_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    storage = JournalStorage(JournalFileBackend(str(path)))
    study = optuna.create_study(
        storage=storage,
        study_name=f"sweep-{sweep_id}",
        pruner=make_pruner(spec),
        direction="minimize",
        load_if_exists=True,
    )
    # A reopened study's sampler goes on from a seed of its own: reseeded as at the start, a
    # sampler's random start-up would propose the points it proposed before the stop again.
    asked = len(study.get_trials(deepcopy=False))
    with warnings.catch_warnings():  # samplers warn that they are experimental
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.sampler = make_sampler(spec["method"], (seed + asked) % 2**32)
    return study


def delete_study(data_dir: Path, sweep_id: int) -> None:
    """Forget a deleted sweep's study."""
    study_path(data_dir, sweep_id).unlink(missing_ok=True)


def make_sampler(method: str, seed: int) -> optuna.samplers.BaseSampler:
    """Optuna's sampler for a search; grid and random sweeps choose their own points (the
    study then only records them, for the pruner and the importances)."""
    if method == "tpe":
        return optuna.samplers.TPESampler(seed=seed, constant_liar=True)
    if method == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed)
    if method == "gp":
        return optuna.samplers.GPSampler(seed=seed)
    if method == "qmc":
        return optuna.samplers.QMCSampler(seed=seed, warn_asynchronous_seeding=False)
    assert method not in SEARCH_METHODS
    return optuna.samplers.RandomSampler(seed=seed)


def make_pruner(spec: dict[str, Any]) -> optuna.pruners.BasePruner:
    """Optuna's pruner, its steps counted in iterations (each report is at a step)."""
    iterations = int(spec["base"].get("iterations") or 0)
    kind = spec.get("pruner", "none")
    if kind == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5)
    if kind == "successive_halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource="auto")
    if kind == "hyperband":  # its first rung at the first report
        least = report_every(spec, iterations) if iterations else 1
        return optuna.pruners.HyperbandPruner(min_resource=least, max_resource=iterations or "auto")
    return optuna.pruners.NopPruner()


def distributions(params: dict[str, dict[str, Any]]) -> dict[str, BaseDistribution]:
    """Each swept field's domain (as the spec records it) as Optuna's distribution."""
    out: dict[str, BaseDistribution] = {}
    for field, domain in params.items():
        if "values" in domain:
            out[field] = CategoricalDistribution(domain["values"])
        elif "log_uniform" in domain:
            low, high = domain["log_uniform"]
            out[field] = FloatDistribution(low, high, log=True)
        elif "uniform" in domain:
            out[field] = FloatDistribution(*domain["uniform"])
        else:
            out[field] = IntDistribution(*domain["int_uniform"])
    return out


def point_distributions(spec: dict, params: dict) -> dict:
    """A grid or random point's distributions: its domains, and the variant when it varies."""
    dists = distributions(spec["params"])
    if "variant" in params:
        dists["variant"] = CategoricalDistribution(spec["variants"])
    return dists
