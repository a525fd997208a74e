"""What a run asks for (RunSpec, validated) and what it runs with (TrainConfig, resolved)."""

from __future__ import annotations

import functools
import secrets
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

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
    """A request for a run; every field but `variant` falls back to the tutorial's value. A
    plugin variant's own fields come at the top level too, checked by its fields model."""

    # the example in the OpenAPI: a quick run on small tensors; other fields are a plugin's
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [QUICK_RUN]})

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
        if not own:  # a plugin's: it has no tutorial sizes
            takes = ", ".join(registry.variant(variant).fields())
            raise ValueError(
                f"the {variant} variant has no field {info.field_name}; it takes {takes}"
            )
        raise ValueError(
            f"{info.field_name} is not a size of the {variant} variant, which takes {own}"
        )

    @model_validator(mode="wrap")
    @classmethod
    def _variant_fields(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> RunSpec:
        """A plugin's fields checked by its model, the tutorial's refused for it; a field no
        variant of the request's takes refused, naming it."""
        if not isinstance(data, dict):  # not a body of fields: pydantic says so itself
            return handler(data)
        chosen = plugin_of(data)
        own = chosen.own_fields() if chosen is not None else {}
        errors: list[InitErrorDetails] = []
        try:
            spec = handler({k: v for k, v in data.items() if k not in own} if own else data)
        except ValidationError as exc:  # the plugin's fields are still checked, to say all
            errors, spec = [detail(e) for e in exc.errors()], None
        if spec is not None:
            errors += [unknown(spec.variant, k, v) for k, v in (spec.model_extra or {}).items()]
        if chosen is not None and spec is not None:
            tutorial = set(RunSpec.model_fields) - set(registry.COMMON_FIELDS)
            given = {k: getattr(spec, k) for k in sorted(tutorial)}
            errors += [unknown(spec.variant, k, v) for k, v in given.items() if v is not None]
        values = {k: v for k, v in data.items() if k in own}
        if chosen is not None and chosen.fields_model is not None:
            try:
                checked = chosen.fields_model.model_validate(values)
                values = checked.model_dump(mode="json", include=set(values))
            except ValidationError as exc:
                errors += [detail(e) for e in exc.errors()]
        if errors or spec is None:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        spec.__pydantic_extra__ = values
        return spec

    def own(self) -> dict[str, Any]:
        """A plugin's fields as the request gives them (validated); {} for the tutorial's."""
        return dict(self.model_extra or {})

    def knob(self, name: str) -> int:
        """A size field as the run uses it: the request's, or the variant's default."""
        value = getattr(self, name)
        return registry.KNOB_DEFAULTS[name] if value is None else value

    def iterations_or_default(self) -> int:
        """The request's iterations, or the variant's own."""
        return self.iterations or registry.variant(self.variant).iterations


def catalog() -> list[dict[str, Any]]:
    """Every variant as /api/variants and the pages show it: the tutorial's, then each
    package's, each with the JSON schema of its own fields."""
    ordered = sorted(registry.variants(), key=lambda v: (v.plugin, v.origin))
    return [{**v.public(), "fields_schema": fields_schema(v)} for v in ordered]


def fields_schema(variant: registry.Variant) -> dict[str, Any]:
    """The JSON schema of a variant's own fields (those but device, iterations and seed)."""
    model = fields_model(variant)
    return model.model_json_schema() if model else {"type": "object", "properties": {}}


def fields_model(variant: registry.Variant) -> type[BaseModel] | None:
    """A variant's fields as a pydantic model: a plugin's own (None: it has none), or for the
    tutorial's, RunSpec's fields that it takes."""
    return variant.fields_model if variant.plugin else tutorial_fields(variant.id)


@functools.cache
def tutorial_fields(variant_id: str) -> type[BaseModel]:
    """The model of a tutorial variant's own RunSpec fields (its sizes, learning rate, dtype,
    its optimizer if it takes one), declared once, in RunSpec."""
    own = [f for f in registry.variant(variant_id).fields() if f not in registry.COMMON_FIELDS]
    declared = {f: (RunSpec.model_fields[f].annotation, RunSpec.model_fields[f]) for f in own}
    return create_model(f"{variant_id}_fields", **declared)  # type: ignore[call-overload]


def loop_fields(config: TrainConfig) -> Any:
    """What a run's loop reads as `config.fields`: its resolved values as its fields model's
    instance (None for a plugin without fields); a plugin's validated again (a Ray worker's
    plugin may not be the server's)."""
    variant = registry.variant(config.variant)
    model = fields_model(variant)
    if model is None:
        return None
    if config.own is None:  # the tutorial's, resolved by lossboard itself: taken as they are
        values = asdict(config)
        return model.model_construct(**{k: values[k] for k in model.model_fields})
    return model.model_validate({k: config.own[k] for k in model.model_fields if k in config.own})


def plugin_of(data: dict) -> registry.Variant | None:
    """The plugin variant a request's body names, if it names one that is known."""
    if not isinstance(data.get("variant"), str):
        return None
    try:
        chosen = registry.variant(data["variant"])
    except KeyError:
        return None
    return chosen if chosen.plugin else None


def unknown(variant: str, name: str, value: Any) -> InitErrorDetails:
    """The error of a field that the request's variant does not take."""
    try:
        takes = ", ".join(registry.variant(variant).fields())
    except KeyError:
        takes = "the fields /api/variants lists"
    message = "the {variant} variant has no field {name}; it takes {takes}"
    error = PydanticCustomError("extra_forbidden", message,
                                {"variant": variant, "name": name, "takes": takes})  # fmt: skip
    return {"type": error, "loc": (name,), "input": value}


def detail(error: Any) -> InitErrorDetails:
    """One of a fields model's errors, as the request's own (its loc is the top-level field)."""
    message = error["msg"].replace("{", "{{").replace("}", "}}")
    return {"type": PydanticCustomError(error["type"], message), "loc": error["loc"],
            "input": error.get("input")}  # fmt: skip


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
    own: dict[str, Any] | None = None  # a plugin's fields, every one (None: the tutorial's)

    def as_dict(self) -> dict:
        """The config as plain JSON-ready values, without the sizes its variant does not take;
        a plugin's: the common fields and its own."""
        if self.own is not None:
            common = ("variant", "device", "iterations", "seed")
            return {**{k: getattr(self, k) for k in common}, **self.own}
        values = asdict(self)
        del values["own"]
        return {k: v for k, v in values.items() if v is not None or k not in registry.KNOB_DEFAULTS}

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        """The config that as_dict() gave `values`."""
        if registry.variant(values["variant"]).plugin:
            common = ("variant", "device", "iterations", "seed")
            own = {k: v for k, v in values.items() if k not in common}
            return plugin_config(**{k: values[k] for k in common}, own=own)
        return cls(**{**dict.fromkeys(registry.KNOB_DEFAULTS), **values})


def plugin_config(variant: str, device: str, iterations: int, seed: int, own: dict) -> TrainConfig:
    """A plugin variant's config: none of the tutorial's fields, its own in `own`."""
    common = ("variant", "device", "iterations", "seed", "own")
    unset: dict[str, Any] = {f.name: None for f in fields(TrainConfig) if f.name not in common}
    return TrainConfig(variant=variant, device=device, iterations=iterations, seed=seed, own=own,
                       **unset)  # fmt: skip


def random_seed() -> int:
    """A fresh seed below 2**32, so the tutorial's `np.random.seed(seed)` accepts it too."""
    return secrets.randbelow(2**32)


def resolve(spec: RunSpec, device: str) -> TrainConfig:
    """Fill every default the tutorial gives; `device` is already resolved."""
    variant = registry.variant(spec.variant)
    if variant.plugin:
        seed = random_seed() if spec.seed is None else spec.seed
        model = variant.fields_model
        own = model.model_validate(spec.own()).model_dump(mode="json") if model else {}
        return plugin_config(spec.variant, device, spec.iterations_or_default(), seed, own)
    optimizer = spec.optimizer or variant.optimizer
    lr = spec.learning_rate or variant.default_learning_rate(optimizer)
    dtype = spec.dtype or variant.dtype
    seed = random_seed() if spec.seed is None else spec.seed
    knobs: dict[str, Any] = {
        k: spec.knob(k) if k in variant.knobs else None for k in registry.KNOB_DEFAULTS
    }
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
    """An upper estimate of the memory a run's tensors take, before anything is allocated
    (a plugin's are its own business: 0)."""
    if registry.variant(spec.variant).plugin:
        return 0
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
