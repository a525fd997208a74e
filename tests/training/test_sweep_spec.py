"""A sweep's expansion into runs: grid order, paired seeds, random samples, and refusals."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from server.training.spec import ConfigError
from server.training.sweep_spec import SweepSpec, plan

GRID = {
    "variant": "optim",
    "method": "grid",
    "params": {"learning_rate": {"values": [1e-6, 1e-5]}, "optimizer": {"values": ["sgd", "adam"]}},
    "seeds": 2,
    "base": {"iterations": 20, "seed": 7},
}
RANDOM = {
    "variant": "nn",
    "method": "random",
    "params": {"learning_rate": {"log_uniform": [1e-6, 1e-3]}, "H": {"int_uniform": [4, 9]}},
    "count": 50,
    "base": {"seed": 11},
}


def expand(spec: dict, max_runs: int = 500):
    return plan(SweepSpec.model_validate(spec), max_runs)


def refused_field(spec: dict, max_runs: int = 500) -> str:
    with pytest.raises(ConfigError) as caught:
        expand(spec, max_runs)
    return caught.value.field


def test_grid_makes_every_combination_times_seeds_in_order():
    runs = expand(GRID).runs
    got = [(r.learning_rate, r.optimizer, r.seed) for r, _ in runs]
    assert got == [
        (lr, opt, seed)
        for lr in (1e-6, 1e-5)
        for opt in ("sgd", "adam")
        for seed in (7, 8)
    ]  # fmt: skip


def test_grid_runs_carry_their_points_swept_values():
    runs = expand(GRID).runs
    assert [swept for _, swept in runs[:2]] == [{"learning_rate": 1e-6, "optimizer": "sgd"}] * 2
    assert all(r.iterations == 20 and r.variant == "optim" for r, _ in runs)


def test_grid_over_variants_names_the_variant_in_each_point():
    spec = {**GRID, "variant": None, "variants": ["optim", "custom_module"], "seeds": 1}
    runs = expand(spec).runs
    assert [(r.variant, swept["variant"]) for r, swept in runs][::4] == [
        ("optim", "optim"),
        ("custom_module", "custom_module"),
    ]


def test_sweep_without_a_base_seed_records_a_random_one_and_pairs_from_it():
    result = expand({**GRID, "base": {"iterations": 20}})
    assert result.spec["base"]["seed"] == result.seed
    assert [r.seed for r, _ in result.runs[:2]] == [result.seed, result.seed + 1]


def test_normalised_spec_lists_variants_and_keeps_the_params():
    spec = expand(GRID).spec
    assert spec["variants"] == ["optim"] and spec["params"] == GRID["params"]
    assert spec["method"] == "grid" and spec["seeds"] == 2 and spec["count"] is None


def test_random_log_uniform_samples_lie_inside_the_range():
    runs = expand(RANDOM).runs
    rates = [r.learning_rate for r, _ in runs]
    assert len(rates) == 50 and all(1e-6 <= lr <= 1e-3 for lr in rates)
    assert {r.H for r, _ in runs} <= set(range(4, 10))
    logs = sorted(math.log10(lr) for lr in rates)  # spread over the decades, not bunched at the top
    assert logs[0] < -5 and logs[-1] > -4


def test_random_samples_repeat_from_the_same_seed():
    assert [s for _, s in expand(RANDOM).runs] == [s for _, s in expand(RANDOM).runs]


def test_random_samples_differ_with_another_seed():
    other = {**RANDOM, "base": {"seed": 12}}
    assert [s for _, s in expand(RANDOM).runs] != [s for _, s in expand(other).runs]


BAD = [
    ({"params": {"learning_rate": {"values": [1e-6]}, "optimizer": {"values": ["sgd"]}},
      "variant": "nn"}, "params.optimizer"),
    ({"params": {"seed": {"values": [1, 2]}}, "base": {}}, "params.seed"),
    ({"params": {"learning_rate": {"log_uniform": [1e-6, 1e-3]}}}, "params.learning_rate"),
    ({"method": "random", "count": 2, "params": {"H": {"uniform": [4, 9]}}}, "params.H"),
    ({"params": {"learning_rate": {"values": ["fast"]}}}, "params.learning_rate"),
    ({"params": {"H": {"values": [0, 4]}}}, "params.H"),
    ({"method": "random"}, "count"),
    ({"count": 3}, "count"),
    ({"variants": ["optim"]}, "variants"),
    ({"variant": "bogus"}, "variant"),
    ({"variant": None, "variants": ["nn", "nn"], "params": {}}, "variants"),
    ({"base": {"learning_rate": 1e-3}}, "base.learning_rate"),
    ({"base": {"variant": "nn"}}, "base.variant"),
    ({"base": {"dtype": "int8"}}, "base.dtype"),
    ({"base": {"seed": -1}}, "base.seed"),
    ({"base": {"seed": 2**63 - 1}}, "base.seed"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "field"), BAD)
def test_bad_sweep_is_refused_naming_the_field(change, field):
    assert refused_field({**GRID, **change}) == field


@pytest.mark.parametrize(
    ("change", "field"),
    [({}, "seeds"), ({"seeds": 1, "params": {"H": {"values": list(range(1, 10))}}}, "params")],
)
def test_sweep_over_the_run_cap_is_refused_naming_what_takes_it_over(change, field):
    assert refused_field({**GRID, **change}, max_runs=7) == field


def test_random_sweep_over_the_run_cap_names_count():
    assert refused_field(RANDOM, max_runs=49) == "count"


@pytest.mark.parametrize(
    "domain",
    [
        {"values": []},
        {"values": [1e-6, 1e-6]},
        {"log_uniform": [0, 1e-3]},
        {"uniform": [1e-3, 1e-3]},
        {"int_uniform": [4.5, 9]},
        {"values": [1e-6], "uniform": [1e-6, 1e-3]},
        {},
    ],
)
def test_bad_domain_is_refused_by_the_model_under_the_field(domain):
    with pytest.raises(ValidationError) as caught:
        SweepSpec.model_validate({**RANDOM, "params": {"learning_rate": domain}})
    assert caught.value.errors()[0]["loc"][:2] == ("params", "learning_rate")
