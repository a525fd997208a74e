"""What a run asks for (RunSpec, validated) and what it runs with (TrainConfig, resolved)."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

VariantId = Literal["numpy", "tensors", "autograd", "nn", "optim", "custom_module"]
VARIANT_IDS: tuple[str, ...] = VariantId.__args__
OPTIMIZER_VARIANTS = ("optim", "custom_module")
OPTIMIZERS = ("sgd", "adam")
MAX_SEED = 2**63 - 1


class ConfigError(ValueError):
    """A run request that cannot run here; `field` names the RunCreate field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class RunSpec(BaseModel):
    """A request for a run; every field but `variant` falls back to the tutorial's value."""

    model_config = ConfigDict(extra="forbid")

    variant: VariantId
    device: str = Field("auto", max_length=32, description="auto, cpu, cuda, cuda:N or mps")
    iterations: int = Field(500, ge=1, le=10_000_000)
    learning_rate: float | None = Field(None, gt=0, allow_inf_nan=False)
    optimizer: Literal["sgd", "adam"] | None = None
    seed: int | None = Field(None, ge=0, le=MAX_SEED)
    N: int = Field(64, ge=1)
    D_in: int = Field(1000, ge=1)
    H: int = Field(100, ge=1)
    D_out: int = Field(10, ge=1)
    dtype: Literal["float32", "float64"] | None = None
    name: str | None = Field(None, max_length=200)

    @field_validator("device")
    @classmethod
    def _device_lowercase(cls, value: str) -> str:
        return value.strip().lower()

    @field_validator("optimizer")
    @classmethod
    def _optimizer_only_where_it_applies(cls, value: str | None, info: ValidationInfo):
        variant = info.data.get("variant")
        if value is not None and variant is not None and variant not in OPTIMIZER_VARIANTS:
            raise ValueError(
                f"optimizer applies only to the optim and custom_module variants, not {variant}"
            )
        return value


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


def default_optimizer(variant: str) -> str | None:
    """The tutorial's optimizer: SGD in the optim section, Adam in the custom-module one."""
    return {"optim": "sgd", "custom_module": "adam"}.get(variant)


def default_learning_rate(variant: str, optimizer: str | None) -> float:
    """The tutorial's learning rate: 1e-6, or 1e-4 for its custom module and wherever Adam runs."""
    return 1e-4 if variant == "custom_module" or optimizer == "adam" else 1e-6


def default_dtype(variant: str) -> str:
    """NumPy's arrays are float64; torch's tensors float32."""
    return "float64" if variant == "numpy" else "float32"


def random_seed() -> int:
    """A fresh seed below 2**32, so the tutorial's `np.random.seed(seed)` accepts it too."""
    return secrets.randbelow(2**32)


def resolve(spec: RunSpec, device: str) -> TrainConfig:
    """Fill every default the tutorial gives; `device` is already resolved."""
    optimizer = spec.optimizer or default_optimizer(spec.variant)
    lr = spec.learning_rate or default_learning_rate(spec.variant, optimizer)
    dtype = spec.dtype or default_dtype(spec.variant)
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


def estimate_bytes(spec: RunSpec) -> int:
    """An upper estimate of the memory a run's tensors take, before anything is allocated."""
    itemsize = 8 if (spec.dtype or default_dtype(spec.variant)) == "float64" else 4
    N, D_in, H, D_out = spec.N, spec.D_in, spec.H, spec.D_out
    data = N * D_in + N * D_out  # x, y
    weights = D_in * H + H * D_out  # w1, w2
    activations = 4 * N * H + 4 * N * D_out  # h, h_relu, their grads; y_pred and its grad
    # weights, their grads and Adam's two moments; x.T copies in the backward pass
    return itemsize * (data + 4 * weights + activations + N * D_in)
