"""A point's bookkeeping on a real (in-memory) Optuna study: what it reports with several
seeds, and how it is told once its runs have ended."""

from __future__ import annotations

import optuna
import pytest
from optuna.trial import TrialState

from server.search.points import Point, run_score, tell


def point(run_ids: list[int]) -> tuple[optuna.Study, Point]:
    study = optuna.create_study(direction="minimize")
    return study, Point(study.ask(), list(run_ids))


def test_a_step_is_reported_once_every_seed_reached_it_as_their_mean():
    _, p = point([1, 2])
    assert p.take(1, [9.0] * 25, 10, ("final", None)) == []  # seed 2 has not reached step 10
    assert p.take(2, [3.0] * 12, 10, ("final", None)) == [10]
    p.report([10])
    assert p.trial.storage.get_trial(p.trial._trial_id).intermediate_values == {10: 6.0}


def test_a_seed_that_ended_early_no_longer_holds_the_reports_back():
    _, p = point([1, 2])
    p.take(1, [5.0] * 20, 10, ("best", None))
    p.ended[2] = ("diverged", 7.0)
    assert p.take(1, [5.0] * 30, 10, ("best", None)) == [30]  # 10 and 20 waited on seed 2


@pytest.mark.parametrize(
    ("ended", "state", "value"),
    [
        ({1: ("completed", 2.0), 2: ("completed", 4.0)}, TrialState.COMPLETE, 3.0),
        ({1: ("completed", 2.0), 2: ("diverged", 100.0)}, TrialState.COMPLETE, 51.0),
        ({1: ("completed", 2.0), 2: ("failed", None)}, TrialState.FAIL, None),
        ({1: ("completed", 2.0), 2: ("cancelled", None)}, TrialState.FAIL, None),
    ],
)
def test_an_ended_point_is_told_by_its_runs(ended, state, value):
    study, p = point([1, 2])
    p.ended = ended
    told = tell(study, p)
    trial = study.get_trials()[0]
    assert trial.state == state and trial.value == value and told["state"] == state.name


def test_a_pruned_point_is_told_pruned_with_its_last_report():
    study, p = point([1, 2])
    p.take(1, [4.0] * 10, 10, ("final", None))
    p.report(p.take(2, [2.0] * 10, 10, ("final", None)))
    p.ended = {1: ("pruned", 4.0), 2: ("pruned", 2.0)}
    tell(study, p)
    trial = study.get_trials()[0]
    assert trial.state == TrialState.PRUNED and trial.value == 3.0


def test_a_run_scores_by_the_objective_and_a_diverged_one_its_first_loss():
    losses = [8.0, 3.0, 5.0, 4.0]
    assert run_score("completed", losses, ("final", None)) == 4.0
    assert run_score("completed", losses, ("best", None)) == 3.0
    assert run_score("completed", losses, ("mean_last", 2)) == 4.5
    assert run_score("diverged", losses, ("best", None)) == 8.0
    assert run_score("failed", losses, ("final", None)) is None
