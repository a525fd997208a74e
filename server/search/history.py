"""A study as the API shows it: each point's state and score, the best so far, and the
parameters' importance."""

from __future__ import annotations

import warnings
from typing import Any

import optuna
from optuna.importance import PedAnovaImportanceEvaluator
from optuna.trial import FrozenTrial, TrialState

# PED-ANOVA: Optuna's default evaluator, which needs nothing beyond Optuna and takes
# milliseconds for hundreds of points; fANOVA would need scikit-learn and fit a random forest
# on every read of the page.
EVALUATOR = "ped_anova"
MIN_FOR_IMPORTANCE = 3  # completed points, before which the importances say nothing


def study_public(study: optuna.Study, spec: dict[str, Any]) -> dict[str, Any]:
    """Every trial in order, with the best score so far after it, and the importances."""
    trials = study.get_trials(deepcopy=False)
    out, best = [], None
    for trial in trials:
        if trial.state == TrialState.COMPLETE and trial.value is not None:
            best = trial.value if best is None else min(best, trial.value)
        out.append({**trial_public(trial), "best_so_far": best})
    return {
        "objective": spec.get("objective") or "final",
        "k": spec.get("k"),
        "pruner": spec.get("pruner", "none"),
        "trials": out,
        "importance": importance(study, trials),
        "importance_evaluator": EVALUATOR,
    }


def trial_public(trial: FrozenTrial) -> dict[str, Any]:
    """One point: its number, state, score (a pruned one's last report), params and runs."""
    value = trial.value
    if trial.state == TrialState.PRUNED and trial.intermediate_values:
        value = trial.intermediate_values[trial.last_step or 0]
    return {
        "number": trial.number,
        "state": trial.state.name.lower(),
        "value": value,
        "params": trial.params,
        "run_ids": trial.user_attrs.get("run_ids", []),
        "diverged": trial.user_attrs.get("diverged", 0),
        "last_step": trial.last_step,
    }


def importance(study: optuna.Study, trials: list[FrozenTrial]) -> dict[str, float] | None:
    """Each swept parameter's share of the score's variation, or None with too few points."""
    done = [t for t in trials if t.state == TrialState.COMPLETE]
    if len(done) < MIN_FOR_IMPORTANCE or not done[0].params:
        return None
    with warnings.catch_warnings():  # experimental, and a warning per constant parameter
        warnings.simplefilter("ignore")
        found = optuna.importance.get_param_importances(
            study, evaluator=PedAnovaImportanceEvaluator()
        )
    return {name: float(share) for name, share in found.items()}
