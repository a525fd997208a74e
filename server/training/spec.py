"""What a run asks for (RunSpec, validated) and what it runs with (TrainConfig, resolved)."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from server.protocol import MAX_INTEGER
from server.training import registry

QUICK_RUN: dict[str, JsonValue] = {"variant": "tensors", "device": "cpu", "iterations": 3,
                                   "N": 8, "D_in": 16, "H": 16, "D_out": 1}  # fmt: skip


class ConfigError(ValueError):
    """A run request that cannot run here; `field` names the RunCreate field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def size(name: str, network: str) -> Any:
    """A size field: optional, positive, its default (the registry's) said in its description."""
    least = 2 if name == "points" else 1
    description = f"{network}: {registry.KNOB_DEFAULTS[name]}"
    return Field(None, ge=least, le=MAX_INTEGER, description=description)


class RunSpec(BaseModel):
    """A request for a run; every field but `variant` falls back to the tutorial's value."""

    # the example in the OpenAPI: a quick run on small tensors
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [QUICK_RUN]})

    variant: str = Field(max_length=64, description="a variant's id, as /api/variants lists")
    device: str = Field(
        "auto", max_length=32, description="auto (the default), cpu, cuda, cuda:N or mps"
    )
    iterations: int | None = Field(
        None,
        ge=1,
        le=MAX_INTEGER,
        description="the variant's own by default; at most the server's max_iterations",
    )
    learning_rate: float | None = Field(
        None, gt=0, allow_inf_nan=False, description="the variant's own (per optimizer) by default"
    )
    optimizer: Literal["sgd", "adam"] | None = Field(
        None, description="for the variants that take one; the variant's own by default"
    )
    seed: int | None = Field(
        None, ge=0, le=MAX_INTEGER, description="a random one by default, recorded with the run"
    )
    N: int | None = size("N", "two-layer network")
    D_in: int | None = size("D_in", "two-layer network")
    H: int | None = size("H", "two-layer network")
    D_out: int | None = size("D_out", "two-layer network")
    points: int | None = size("points", "polynomial fit")
    dtype: Literal["float32", "float64"] | None = Field(
        None, description="the variant's own by default (float64 for the NumPy loops)"
    )
    name: str | None = Field(None, max_length=200, description="a label for the run")
    rerun_of: int | None = Field(
        None, ge=0, le=MAX_INTEGER, description="the run this one repeats with changes, if any"
    )

    @field_validator("variant")
    @classmethod
    def _variant_registered(cls, value: str) -> str:
        try:
            registry.variant(value)
        except KeyError as exc:
            raise ValueError(exc.args[0]) from None
        return value

    @field_validator("device")
    @classmethod
    def _device_lowercase(cls, value: str) -> str:
        return value.strip().lower()

    @field_validator("optimizer")
    @classmethod
    def _optimizer_only_where_it_applies(
        cls, value: str | None, info: ValidationInfo
    ) -> str | None:
        variant = info.data.get("variant")
        if value is None or variant is None or registry.variant(variant).optimizer:
            return value
        takers = ", ".join(v.id for v in registry.variants() if v.optimizer)
        raise ValueError(f"optimizer applies only to the {takers} variants, not {variant}")

    @field_validator(*registry.KNOB_DEFAULTS)
    @classmethod
    def _knob_of_the_variant(cls, value: int | None, info: ValidationInfo) -> int | None:
        variant = info.data.get("variant")
        if value is None or variant is None or info.field_name in registry.variant(variant).knobs:
            return value
        own = ", ".join(registry.variant(variant).knobs)
        raise ValueError(
            f"{info.field_name} is not a size of the {variant} variant, which takes {own}"
        )

    def knob(self, name: str) -> int:
        """A size field as the run uses it: the request's, or the variant's default."""
        value = getattr(self, name)
        return registry.KNOB_DEFAULTS[name] if value is None else value

    def iterations_or_default(self) -> int:
        """The request's iterations, or the variant's own."""
        return self.iterations or registry.variant(self.variant).iterations


@dataclass(frozen=True)
class TrainConfig:
    """Every value a variant runs with, resolved: nothing left to a default."""

    variant: str
    device: str
    iterations: int
    learning_rate: float
    optimizer: str | None
    seed: int
    N: int | None  # the sizes a variant does not take are None
    D_in: int | None
    H: int | None
    D_out: int | None
    dtype: str
    points: int | None = None  # a polynomial fit's samples of sin(x)

    def as_dict(self) -> dict:
        """The config as plain JSON-ready values, without the sizes its variant does not take."""
        values = asdict(self)
        return {k: v for k, v in values.items() if v is not None or k not in registry.KNOB_DEFAULTS}

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        """The config that as_dict() gave `values`."""
        return cls(**{**dict.fromkeys(registry.KNOB_DEFAULTS), **values})


def random_seed() -> int:
    """A fresh seed below 2**32, so the tutorial's `np.random.seed(seed)` accepts it too."""
    return secrets.randbelow(2**32)


def resolve(spec: RunSpec, device: str) -> TrainConfig:
    """Fill every default the tutorial gives; `device` is already resolved."""
    variant = registry.variant(spec.variant)
    optimizer = spec.optimizer or variant.optimizer
    lr = spec.learning_rate or variant.default_learning_rate(optimizer)
    dtype = spec.dtype or variant.dtype
    seed = random_seed() if spec.seed is None else spec.seed
    knobs = {k: spec.knob(k) if k in variant.knobs else None for k in registry.KNOB_DEFAULTS}
    return TrainConfig(
        variant=spec.variant,
        device=device,
        iterations=spec.iterations_or_default(),
        learning_rate=lr,
        optimizer=optimizer,
        seed=seed,
        dtype=dtype,
        **knobs,
    )


def rerun_spec(run: dict, changes: dict) -> tuple[RunSpec, dict]:
    """The spec that runs `run` again with `changes` made to its request, and that request;
    unless `changes` holds a seed, the seed the run had."""
    request = {**run["request"], "name": run["name"], **changes}  # its name now, not as submitted
    seed = request["seed"] if "seed" in changes else run["config"]["seed"]
    asked = {k: v for k, v in request.items() if k != "schedule"}  # the changes go with it
    try:
        spec = RunSpec.model_validate({**asked, "seed": seed})
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ConfigError(".".join(map(str, error["loc"])), error["msg"]) from None
    return spec, request


def estimate_bytes(spec: RunSpec) -> int:
    """An upper estimate of the memory a run's tensors take, before anything is allocated."""
    itemsize = 8 if (spec.dtype or registry.variant(spec.variant).dtype) == "float64" else 4
    if "points" in registry.variant(spec.variant).knobs:
        # x, y, the powers of x, y_pred, their grads and autograd's saved tensors: under 16
        return itemsize * 16 * spec.knob("points")
    N, D_in, H, D_out = (spec.knob(k) for k in registry.SIZES)
    data = N * D_in + N * D_out  # x, y
    weights = D_in * H + H * D_out  # w1, w2
    activations = 4 * N * H + 4 * N * D_out  # h, h_relu, their grads; y_pred and its grad
    # weights, their grads and Adam's two moments; x.T copies in the backward pass
    return itemsize * (data + 4 * weights + activations + N * D_in)
