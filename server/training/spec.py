"""What a run asks for (RunSpec, validated) and what it runs with (TrainConfig, resolved)."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from typing import Literal

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


class RunSpec(BaseModel):
    """A request for a run; every field but `variant` falls back to the tutorial's value."""

    # the example in the OpenAPI: a quick run on small tensors
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [QUICK_RUN]})

    variant: str = Field(max_length=64, description="a variant's id, as /api/variants lists")
    device: str = Field("auto", max_length=32, description="auto, cpu, cuda, cuda:N or mps")
    iterations: int = Field(
        500, ge=1, le=MAX_INTEGER, description="at most the server's max_iterations (10,000,000)"
    )
    learning_rate: float | None = Field(None, gt=0, allow_inf_nan=False)
    optimizer: Literal["sgd", "adam"] | None = None
    seed: int | None = Field(None, ge=0, le=MAX_INTEGER)
    N: int = Field(64, ge=1, le=MAX_INTEGER)
    D_in: int = Field(1000, ge=1, le=MAX_INTEGER)
    H: int = Field(100, ge=1, le=MAX_INTEGER)
    D_out: int = Field(10, ge=1, le=MAX_INTEGER)
    dtype: Literal["float32", "float64"] | None = None
    name: str | None = Field(None, max_length=200)

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


@dataclass(frozen=True)
class TrainConfig:
    """Every value a variant runs with, resolved: nothing left to a default."""

    variant: str
    device: str
    iterations: int
    learning_rate: float
    optimizer: str | None
    seed: int
    N: int
    D_in: int
    H: int
    D_out: int
    dtype: str

    def as_dict(self) -> dict:
        """The config as plain JSON-ready values."""
        return asdict(self)


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
    sizes = {"N": spec.N, "D_in": spec.D_in, "H": spec.H, "D_out": spec.D_out}
    return TrainConfig(
        variant=spec.variant,
        device=device,
        iterations=spec.iterations,
        learning_rate=lr,
        optimizer=optimizer,
        seed=seed,
        dtype=dtype,
        **sizes,
    )


def rerun_spec(run: dict, changes: dict) -> tuple[RunSpec, dict]:
    """The spec that runs `run` again with `changes` made to its request, and that request;
    unless `changes` holds a seed, the seed the run had."""
    request = {**run["request"], **changes}
    seed = request["seed"] if "seed" in changes else run["config"]["seed"]
    try:
        spec = RunSpec.model_validate({**request, "seed": seed})
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ConfigError(".".join(map(str, error["loc"])), error["msg"]) from None
    return spec, request


def estimate_bytes(spec: RunSpec) -> int:
    """An upper estimate of the memory a run's tensors take, before anything is allocated."""
    itemsize = 8 if (spec.dtype or registry.variant(spec.variant).dtype) == "float64" else 4
    N, D_in, H, D_out = spec.N, spec.D_in, spec.H, spec.D_out
    data = N * D_in + N * D_out  # x, y
    weights = D_in * H + H * D_out  # w1, w2
    activations = 4 * N * H + 4 * N * D_out  # h, h_relu, their grads; y_pred and its grad
    # weights, their grads and Adam's two moments; x.T copies in the backward pass
    return itemsize * (data + 4 * weights + activations + N * D_in)
