"""Searches and pruning on a real manager and store: Optuna proposes, the runs train, the
points are told back; pruned runs stop early and end `pruned`."""

from __future__ import annotations

import pytest
from optuna.trial import TrialState

from server.training.sweep_spec import SweepSpec
from server.training.sweeps import Sweeps
from tests.helpers import TINY, wait_for

NN_DOMAIN = {"learning_rate": {"log_uniform": [1e-7, 1e-3]}, "H": {"int_uniform": [16, 256]}}


def finish(sweeps: Sweeps, body: dict, timeout: float = 240) -> tuple[dict, list]:
    """Create a sweep, wait for it to end; the sweep and its study's trials."""
    sweep = sweeps.create(SweepSpec.model_validate(body))
    ended = wait_for(lambda: (s := sweeps.get(sweep["id"]))["status"] != "running" and s, timeout)
    search = sweeps.searches.get(ended["id"], ended["spec"], ended["seed"])
    assert search is not None
    return ended, search.study.get_trials()


def test_tpe_with_median_pruning_completes_with_pruned_runs_and_the_studys_best(make_manager):
    sweeps = Sweeps(make_manager(workers_per_device=2))
    body = {"variant": "nn", "method": "tpe", "pruner": "median", "count": 24,
            "max_parallel": 2, "params": NN_DOMAIN,
            "base": {"iterations": 2000, "device": "cpu", "seed": 3}}  # fmt: skip
    sweep, trials = finish(sweeps, body)
    assert sweep["status"] == "completed" and len(trials) == 24
    assert len(sweep["run_ids"]) == 24
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    assert pruned and sweep["counts"]["pruned"] == len(pruned)
    for trial in pruned:  # stopped early, where the pruner said so
        run = sweeps.manager.reads.get(trial.user_attrs["run_ids"][0])
        assert run["status"] == "pruned" and run["iteration"] < 2000
    best = min((t for t in trials if t.state == TrialState.COMPLETE), key=lambda t: t.value)
    assert sweep["best"]["run_id"] == best.user_attrs["run_ids"][0]
    assert sweep["best"]["loss"] == best.value and sweep["best"]["params"] == best.params


def test_a_point_scores_the_mean_of_its_seeds_by_the_objective(make_manager):
    sweeps = Sweeps(make_manager(workers_per_device=2))
    body = {"variant": "nn", "method": "qmc", "count": 2, "seeds": 2, "max_parallel": 4,
            "objective": "mean_last", "k": 5,
            "params": {"learning_rate": {"uniform": [1e-7, 1e-6]}},
            "base": {"iterations": 30, "device": "cpu", **TINY}}  # fmt: skip
    sweep, trials = finish(sweeps, body)
    assert len(sweep["run_ids"]) == 4 and [t.state for t in trials] == [TrialState.COMPLETE] * 2
    for trial in trials:
        runs = [sweeps.manager.reads.losses(i)[1] for i in trial.user_attrs["run_ids"]]
        assert len(runs) == 2
        assert trial.value == pytest.approx(sum(loss[-5:].mean() for loss in runs) / 2)


def test_a_diverged_point_is_told_complete_with_its_first_loss(make_manager):
    sweeps = Sweeps(make_manager(workers_per_device=1))
    body = {"variant": "nn", "method": "tpe", "count": 1,
            "params": {"learning_rate": {"log_uniform": [0.5, 1.0]}},
            "base": {"iterations": 200, "device": "cpu"}}  # fmt: skip
    sweep, trials = finish(sweeps, body)
    assert sweep["counts"]["diverged"] == 1 and trials[0].state == TrialState.COMPLETE
    first = sweeps.manager.reads.losses(sweep["run_ids"][0])[1][0]
    assert trials[0].value == first and trials[0].user_attrs["diverged"] == 1


@pytest.mark.parametrize(("method", "pruner"), [("grid", "median"), ("random", "hyperband")])
def test_grid_and_random_sweeps_prune_too(make_manager, method, pruner):
    sweeps = Sweeps(make_manager(workers_per_device=2))
    rates = [1e-7, 2e-7, 4e-7, 8e-7, 1.5e-6, 3e-7, 6e-7, 1e-6, 1.2e-7, 5e-7, 7e-7, 9e-7]
    ranged = {"learning_rate": {"log_uniform": [1e-7, 1.5e-6]}}  # where nn does not diverge
    params = {"learning_rate": {"values": rates}} if method == "grid" else ranged
    body = {"variant": "nn", "method": method, "pruner": pruner, "max_parallel": 2,
            "count": None if method == "grid" else 12, "params": params, "report_every": 50,
            "base": {"iterations": 2000, "device": "cpu", "seed": 5}}  # fmt: skip
    sweep, trials = finish(sweeps, body)
    assert sweep["status"] == "completed" and len(trials) == 12
    assert sweep["counts"]["pruned"] > 0
    assert {t.state for t in trials} <= {TrialState.COMPLETE, TrialState.PRUNED}


def test_cancel_asks_for_no_more_points(make_manager):
    sweeps = Sweeps(make_manager(workers_per_device=1))
    body = {"variant": "nn", "method": "tpe", "count": 10,
            "params": {"learning_rate": {"log_uniform": [1e-9, 1e-8]}},
            "base": {"iterations": 10_000_000, "device": "cpu", **TINY}}  # fmt: skip
    sweep = sweeps.create(SweepSpec.model_validate(body))
    wait_for(lambda: sweeps.get(sweep["id"])["counts"]["running"])
    ended = sweeps.cancel(sweep["id"])
    ended = wait_for(lambda: (s := sweeps.get(sweep["id"]))["status"] != "running" and s)
    assert ended["status"] == "cancelled" and len(ended["run_ids"]) == 1
    trials = sweeps.searches.get(sweep["id"], sweep["spec"], sweep["seed"]).study.get_trials()
    assert [t.state for t in trials] == [TrialState.FAIL]


@pytest.mark.parametrize("method", ["cmaes", "gp"])
def test_each_sampler_searches_to_its_budget(make_manager, method):
    sweeps = Sweeps(make_manager(workers_per_device=1))
    body = {"variant": "nn", "method": method, "count": 3,
            "params": {"learning_rate": {"log_uniform": [1e-7, 1e-6]},
                       "H": {"int_uniform": [4, 16]}},
            "base": {"iterations": 5, "device": "cpu", "N": 8, "D_in": 16, "D_out": 1}}  # fmt: skip
    sweep, trials = finish(sweeps, body)
    assert sweep["status"] == "completed" and len(sweep["run_ids"]) == 3
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3
