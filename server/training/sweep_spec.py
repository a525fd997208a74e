"""What a sweep asks for (SweepSpec) and the runs it expands into (Plan), every one validated
before any is queued. A refusal is a ConfigError naming the SweepCreate field at fault."""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from typing import Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    FiniteFloat,
    ValidationError,
    field_validator,
    model_validator,
)

from server.protocol import MAX_INTEGER as MAX_SEED
from server.search.spec import SEARCH_METHODS, check_search, corner_points
from server.training import registry
from server.training.spec import ConfigError, RunSpec, random_seed

# RunCreate fields a sweep may vary (a variant may accept fewer); seeds vary through `seeds`
SWEEPABLE = ("learning_rate", "optimizer", "H", "N", "D_in", "D_out", "iterations", "dtype")
INTEGER_FIELDS = ("H", "N", "D_in", "D_out", "iterations")
RANGES = ("log_uniform", "uniform", "int_uniform")
MAX_VALUES = 10_000  # values of one field
Method = Literal["grid", "random", "tpe", "cmaes", "gp", "qmc"]  # the last four search
SWEEP_METHODS: tuple[str, ...] = get_args(Method)


class Domain(BaseModel):
    """One swept field's values: a list, or (for `random`) a range to sample from."""

    model_config = ConfigDict(extra="forbid")

    values: list[int | float | str] | None = Field(None, min_length=1, max_length=MAX_VALUES)
    log_uniform: tuple[FiniteFloat, FiniteFloat] | None = None
    uniform: tuple[FiniteFloat, FiniteFloat] | None = None
    int_uniform: tuple[int, int] | None = None

    @field_validator("values")
    @classmethod
    def _distinct(cls, values: list | None) -> list | None:
        if values is None:
            return values
        seen: set[str] = set()
        for value in values:
            if repr(value) in seen:
                raise ValueError(f"the values repeat: {value} is given twice; give each once")
            seen.add(repr(value))
        return values

    @field_validator("log_uniform", "uniform", "int_uniform")
    @classmethod
    def _ordered(cls, bounds: tuple | None) -> tuple | None:
        if bounds is not None and not bounds[0] < bounds[1]:
            raise ValueError(f"the range [{bounds[0]}, {bounds[1]}] needs low < high")
        return bounds

    @field_validator("log_uniform")
    @classmethod
    def _positive(cls, bounds: tuple | None) -> tuple | None:
        if bounds is not None and bounds[0] <= 0:
            raise ValueError(f"a log-uniform range needs low > 0, not {bounds[0]}")
        return bounds

    @model_validator(mode="after")
    def _one_kind(self) -> Domain:
        if len(self.kinds()) != 1:
            raise ValueError("give exactly one of values, log_uniform, uniform, int_uniform")
        return self

    def kinds(self) -> list[str]:
        return [k for k in ("values", *RANGES) if getattr(self, k) is not None]

    def sample(self, rng: random.Random) -> Any:
        """One value drawn from the domain."""
        if self.values is not None:
            return rng.choice(self.values)
        if self.log_uniform is not None:
            low, high = self.log_uniform
            return math.exp(rng.uniform(math.log(low), math.log(high)))
        if self.uniform is not None:
            return rng.uniform(*self.uniform)
        assert self.int_uniform is not None
        return rng.randint(*self.int_uniform)


class SweepSpec(BaseModel):
    """A request for a sweep: runs of one or more variants over a grid or random samples."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200)
    variant: str | None = Field(None, max_length=64, description="one variant; or `variants`")
    variants: list[str] | None = Field(None, min_length=1, max_length=64)
    method: Method = Field(
        "grid", description="grid, random samples, or a search by one of Optuna's samplers"
    )
    params: dict[str, Domain] = Field(default_factory=dict, description="swept field: domain")
    count: int | None = Field(None, ge=1, description="points: samples, or a search's budget")
    pruner: Literal["none", "median", "successive_halving", "hyperband"] = Field(
        "none", description="Optuna's pruner that stops unpromising points early"
    )
    report_every: int | None = Field(
        None, ge=1, description="steps between a run's reports to the pruner (1% of iterations)"
    )
    objective: Literal["final", "best", "mean_last"] | None = Field(
        None, description="what a point scores: its last loss (final), best, or mean_last k"
    )
    k: int | None = Field(None, ge=1, description="the losses averaged by objective mean_last")
    seeds: int = Field(1, ge=1, description="runs per point, with seeds seed, seed + 1, ...")
    base: dict[str, Any] = Field(default_factory=dict, description="RunCreate fields for all")
    max_parallel: int | None = Field(None, ge=1, description="runs training at once, at most")


@dataclass(frozen=True)
class Plan:
    """A validated sweep: its normalised spec, its seed, and each run's request and point."""

    spec: dict[str, Any]
    seed: int
    runs: list[tuple[RunSpec, dict[str, Any]]]
    probes: tuple[tuple[RunSpec, dict[str, Any]], ...] = ()  # a search's corners, to check


def plan(spec: SweepSpec, max_runs: int) -> Plan:
    """Check a sweep and expand it into its runs, variants x points x seeds, in that order."""
    variants = chosen_variants(spec)
    check_params(spec, variants)
    check_size(spec, variants, max_runs)
    check_search(spec, variants)
    seed = base_seed(spec)
    if spec.method in SEARCH_METHODS:  # the study proposes the points: check the domain's corners
        corners = corner_points(spec.params)
        probes = [run for p in corners for run in seeded_runs(spec, variants[0], p, seed, False)]
        return Plan(normalised(spec, variants, seed), seed, [], tuple(probes))
    chosen = points(spec, seed)  # the same points for every variant
    runs = [
        (run_spec, swept)
        for variant in variants
        for point in chosen
        for run_spec, swept in seeded_runs(spec, variant, point, seed, len(variants) > 1)
    ]
    return Plan(normalised(spec, variants, seed), seed, runs)


def chosen_variants(spec: SweepSpec) -> list[str]:
    """`variant` or `variants` (exactly one of them), each one registered, none twice."""
    if (spec.variant is None) == (spec.variants is None):
        raise ConfigError("variants", "give either variant or variants (a list), not both")
    if spec.variant is not None:
        field, variants = "variant", [spec.variant]
    else:
        field, variants = "variants", spec.variants or []
    if len(set(variants)) < len(variants):
        raise ConfigError(field, "a variant is listed twice")
    for variant in variants:
        try:
            registry.variant(variant)
        except KeyError as exc:
            raise ConfigError(field, exc.args[0]) from None
    return variants


def check_params(spec: SweepSpec, variants: list[str]) -> None:
    """Each swept field is sweepable, taken by every variant, not in `base`, fit for the method."""
    for key in ("variant", "variants", *spec.params):
        if key in spec.base:
            raise ConfigError(f"base.{key}", f"{key} is given outside base; give it once")
    if "rerun_of" in spec.base:
        raise ConfigError("base.rerun_of", "a sweep's runs repeat no run: rerun_of is a run's")
    for field, domain in spec.params.items():
        where = f"params.{field}"
        own = set().union(*(registry.variant(v).own_fields() for v in variants))
        if field not in SWEEPABLE and field not in own:
            can = ", ".join([*SWEEPABLE, *sorted(own)])
            raise ConfigError(where, f"{field} cannot be swept; these can: {can}")
        for variant in variants:
            if field not in registry.variant(variant).fields():
                raise ConfigError(where, f"the {variant} variant takes no {field}")
        kind = domain.kinds()[0]
        if spec.method == "grid" and kind != "values":
            raise ConfigError(where, f"{kind} is a range to sample: method random, or give values")
        if is_integer(field, variants) and kind in ("log_uniform", "uniform"):
            raise ConfigError(where, f"{field} is an integer: give int_uniform or values")
    if spec.method != "grid" and spec.count is None:
        raise ConfigError("count", f"method {spec.method} needs a count of points")
    if spec.method == "grid" and spec.count is not None:
        raise ConfigError("count", "count is for method random; a grid runs every combination")


def is_integer(field: str, variants: list[str]) -> bool:
    """Whether a swept field takes integers: a tutorial size or iterations, or a plugin's int."""
    if field in INTEGER_FIELDS:
        return True
    infos = (registry.variant(v).own_fields().get(field) for v in variants)
    return any(info is not None and info.annotation is int for info in infos)


def check_size(spec: SweepSpec, variants: list[str], max_runs: int) -> None:
    """Refuse a sweep of more runs than the cap, before expanding it."""
    if spec.count is not None:
        points = spec.count
    else:
        points = math.prod(len(d.values or ()) for d in spec.params.values())
    total = len(variants) * points * spec.seeds
    if total <= max_runs:
        return
    field = "seeds" if len(variants) * points <= max_runs else "count" if spec.count else "params"
    raise ConfigError(
        field,
        f"the sweep would make {total} runs ({len(variants)} variant(s) x {points} point(s) x "
        f"{spec.seeds} seed(s)), over the cap of {max_runs} (LOSSBOARD_MAX_SWEEP_RUNS)",
    )


def base_seed(spec: SweepSpec) -> int:
    """`base.seed`, or a fresh one; repeat k of every point runs with this seed + k."""
    seed = spec.base.get("seed")
    if seed is None:
        return random_seed()
    top = MAX_SEED - spec.seeds + 1
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= top:
        message = f"{seed!r} is not an integer in 0 … {top} (with {spec.seeds} seeds)"
        raise ConfigError("base.seed", message)
    return seed


def points(spec: SweepSpec, seed: int) -> list[dict[str, Any]]:
    """The grid's every combination, or `count` samples drawn from Random(seed)."""
    fields = list(spec.params)
    if spec.method == "grid":
        combos = itertools.product(*(spec.params[f].values or () for f in fields))
        return [dict(zip(fields, combo, strict=True)) for combo in combos]
    rng = random.Random(seed)
    assert spec.count is not None
    return [{f: spec.params[f].sample(rng) for f in fields} for _ in range(spec.count)]


def seeded_runs(
    spec: SweepSpec, variant: str, point: dict[str, Any], seed: int, show_variant: bool
) -> list[tuple[RunSpec, dict[str, Any]]]:
    """A point's runs, one per seed: each request validated, with its swept values."""
    out = []
    for k in range(spec.seeds):
        fields = {**spec.base, **point, "variant": variant, "seed": seed + k}
        try:
            run_spec = RunSpec.model_validate(fields)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = str(error["loc"][0]) if error["loc"] else "base"
            raise ConfigError(blame(field, point), error["msg"]) from None
        swept = {f: getattr(run_spec, f) for f in point}
        out.append((run_spec, {"variant": variant, **swept} if show_variant else swept))
    return out


def blame(field: str, point: dict[str, Any]) -> str:
    """The SweepCreate field behind a RunCreate field of one of its runs."""
    if field == "variant":
        return "variants"
    return f"params.{field}" if field in point else f"base.{field}"


def normalised(spec: SweepSpec, variants: list[str], seed: int) -> dict[str, Any]:
    """The spec as recorded: `variants` always a list, each domain's one kind, the seed in base."""
    return {
        "name": spec.name,
        "variants": variants,
        "method": spec.method,
        "params": {f: d.model_dump(exclude_none=True) for f, d in spec.params.items()},
        "count": spec.count,
        "seeds": spec.seeds,
        "base": {**spec.base, "seed": seed},
        "max_parallel": spec.max_parallel,
        "pruner": spec.pruner,
        "report_every": spec.report_every,
        "objective": spec.objective,
        "k": spec.k,
    }
