"""The variant registry: each loop declared once, with every fact about it.

The tutorial's loops (`variants/`) and outside packages' declare theirs the same way, through
`lossboard.variant(...)`, which calls `declare()` here; run validation, device checks, the API,
the pages and the CLI (through the API) all read the entries. Standard library only, so that
the decorator can record a variant without importing torch, FastAPI or pydantic.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

Params = Callable[[], dict[str, float]]  # the model's parameters as they are now
# A step's loss, or (for a fit) its loss and how to read the parameters that gave it
Reading = float | tuple[float, Params]
# What a loop needs to compute a step again: tensors, numbers, strings, lists, tuples and dicts
# of them (what torch.load(weights_only=True) reads back). Its "model" entry is the trained
# model that GET /api/runs/{id}/model downloads; an entry named as one of the variant's fields
# (`learning_rate`, `momentum`) is a hyperparameter that PATCH /api/runs/{id}/hyper changes.
State = dict[str, Any]
StateReader = Callable[[], State]
StateLoader = Callable[[State], None]
OPTIMIZERS = ("sgd", "adam")
SIZES = ("N", "D_in", "H", "D_out")  # the two-layer network's sizes
POINTS = 2000  # the polynomial fits' samples of sin(x)
# RunCreate's fields, but `variant` and `name`: what a run of a variant may set
RUN_FIELDS = ("device", "iterations", "learning_rate", "optimizer", "seed", *SIZES, "points",
              "dtype")  # fmt: skip
DEVICE_KINDS = ("cpu", "cuda", "mps")
TWO_LAYER, POLYNOMIAL = "two-layer network", "polynomial fit"
TUTORIAL = "tutorial"  # where the built-in variants come from
# lossboard's own fields of every run: a variant's fields may not take these names
COMMON_FIELDS = ("variant", "device", "iterations", "seed", "name", "rerun_of")


class DuplicateVariant(RuntimeError):
    """Two variants declared with one id: the server refuses to start, naming both."""


class VariantError(ValueError):
    """A variant declared wrongly (its fields not a pydantic model, or clashing with a common
    field): the plugin that declares it is left out, and says why."""


@dataclass
class Saved:
    """A checkpoint as a loop resumes from it: the state its `state()` gave while it waited at
    its yield of step `step`, so the loop computes that step again first."""

    step: int
    state: State


class LoopConfig:
    """What a variant's loop is given: `iterations`, `seed`, `device` (a torch device string)
    and `fields` (the variant's own values, as validated); `config.X` reads `config.fields.X`.

    A loop that can be checkpointed iterates over `config.steps(state, load_state)`:
    - `state()` is called while the loop waits at its yield of step k. It returns everything
      needed to compute step k again: the weights that gave the loss just yielded, the
      optimizer's state, each random generator's state as it was before step k drew from it,
      and the current hyperparameters. lossboard copies what it returns before the loop goes on.
    - `load_state(saved)` puts such a state back. On resume, `steps()` calls it with the
      checkpoint and returns the steps from the checkpoint's on. A live hyperparameter change
      calls it at a yield with the state `state()` just gave, one hyperparameter changed: so it
      must leave the weights and generators that are already as saved untouched (an in-place
      write to a weight there fails the backward pass still to come, which reads it; the
      built-in loops copy only what differs).
    A loop that iterates over `range(config.iterations)`, or calls `steps()` without hooks,
    runs as before, and a resumed run of it starts again from step 0.
    """

    def __init__(
        self, iterations: int, seed: int, device: str, fields: Any, resume: Saved | None = None
    ) -> None:
        self.iterations, self.seed, self.device, self.fields = iterations, seed, device, fields
        self.resume = resume  # the checkpoint to go on from, if any
        self.start = 0  # the step the loop's first yield is at: steps() sets it on resume
        self.state: StateReader | None = None  # the hooks, once steps() has them
        self.load_state: StateLoader | None = None

    def __getattr__(self, name: str) -> Any:  # only for names the config has not: a field's
        if name == "fields":  # not set yet (copy, pickle): no field to fall back on
            raise AttributeError(name)
        return getattr(self.fields, name)

    def steps(
        self, state: StateReader | None = None, load_state: StateLoader | None = None
    ) -> range:
        """The steps to run: all of them, or with both hooks and a checkpoint to resume from,
        those from the checkpoint's step on, once `load_state` has put it back."""
        if (state is None) != (load_state is None):
            raise TypeError("steps() takes both state and load_state, or neither")
        self.state, self.load_state = state, load_state
        if self.resume is not None and load_state is not None:
            load_state(self.resume.state)
            self.start, self.resume = self.resume.step, None  # its memory is the loop's now
        return range(self.start, self.iterations)


# a generator, so that a run that ends early can close it and free its tensors at once
Loop = Callable[[LoopConfig], Generator[Reading, None, None]]


@dataclass(frozen=True)
class Variant:
    """One training loop and what the API tells about it."""

    id: str
    loop: Loop
    title: str  # what it does, in a few English words
    section: str  # the tutorial heading it comes from
    devices: tuple[str, ...] = DEVICE_KINDS  # the device kinds it can run on
    learning_rate: float = 1e-6  # when it takes no optimizer
    optimizer: str | None = None  # the default optimizer; None: it takes none
    learning_rates: dict[str, float] = field(default_factory=dict)  # per optimizer
    dtype: str = "float32"
    iterations: int = 500
    shown_with: tuple[type, ...] = ()  # classes whose source comes before the loop's
    tutorial: str = TWO_LAYER  # which edition's network: TWO_LAYER or POLYNOMIAL
    in_translation: bool = False  # one of the six sections the Chinese translation has
    knobs: tuple[str, ...] = SIZES  # its size fields: SIZES, or ("points",) for a fit
    params: tuple[str, ...] = ()  # the parameters it streams each tick (a fit's a, b, ...)
    fit: str | None = None  # the curve they draw: "cubic", "legendre" or "quintic"
    description: str = ""  # where its code comes from (the official script and commit)
    # what PATCH /api/runs/{id}/hyper may change while it runs: entries of its state()
    hyper: tuple[str, ...] = ("learning_rate",)
    # a plugin's own fields: a pydantic model (None: it has none); the tutorial's variants take
    # RunSpec's fields instead (their sizes, learning rate, optimizer, dtype)
    fields_model: Any = None
    origin: str = TUTORIAL  # where it came from: the tutorial, or the package (or module) named

    @property
    def plugin(self) -> bool:
        """Declared outside the tutorial: its fields are its own model's."""
        return self.origin != TUTORIAL

    def own_fields(self) -> dict[str, Any]:
        """A plugin's fields by name (pydantic's FieldInfo); {} for none."""
        return dict(self.fields_model.model_fields) if self.fields_model is not None else {}

    def default_learning_rate(self, optimizer: str | None) -> float:
        """The tutorial's learning rate, for the optimizer when the variant takes one."""
        return self.learning_rates[optimizer] if optimizer else self.learning_rate

    def defaults(self) -> dict[str, Any]:
        """The RunCreate values a run of this variant gets when it names none."""
        if self.plugin:
            own = {k: None if f.is_required() else f.get_default(call_default_factory=True)
                   for k, f in self.own_fields().items()}  # fmt: skip
            return {"device": "auto", "iterations": self.iterations, "seed": None, **own}
        return {
            "device": "auto",
            "iterations": self.iterations,
            "learning_rate": self.default_learning_rate(self.optimizer),
            "optimizer": self.optimizer,
            "learning_rates": dict(self.learning_rates),  # for a form that switches optimizer
            "seed": None,
            **{k: v for k, v in KNOB_DEFAULTS.items() if k in self.knobs},
            "dtype": self.dtype,
        }

    def fields(self) -> tuple[str, ...]:
        """The RunCreate fields a run of this variant accepts (`optimizer` only if it has one,
        and only its own size knobs)."""
        if self.plugin:
            return ("device", "iterations", "seed", *self.own_fields())
        own = (f for f in RUN_FIELDS if f not in KNOB_DEFAULTS or f in self.knobs)
        return tuple(f for f in own if f != "optimizer" or self.optimizer)

    def source(self) -> str:
        """The loop's Python source, after the classes it trains, without its registration."""
        parts = [inspect.getsource(cls) for cls in self.shown_with]
        return "\n\n".join([*parts, undecorated(inspect.getsource(self.loop))])

    def public(self) -> dict[str, Any]:
        """The entry as /api/variants shows it."""
        return {
            "id": self.id,
            "title": self.title,
            "section": self.section,
            "tutorial": self.tutorial,
            "in_translation": self.in_translation,
            "description": self.description,
            "devices": list(self.devices),
            "defaults": self.defaults(),
            "fields": list(self.fields()),
            "params": list(self.params),
            "fit": self.fit,
            "source": self.source(),
            "module": self.loop.__module__,  # where the source is, for the run page to say
            "origin": self.origin,
        }


KNOB_DEFAULTS: dict[str, int] = {"N": 64, "D_in": 1000, "H": 100, "D_out": 10, "points": POINTS}
REGISTRY: dict[str, Variant] = {}
# plugins that could not load: {"source", "error", "traceback"}, for /api/system and the log
FAILURES: list[dict[str, str]] = []
_loaded: set[str] = set()  # the sources load() has imported: "tutorial", entry points, modules
PLUGINS = "plugins"  # in _loaded once load() has looked for plugins


def declare(variant_id: str, loop: Loop, **facts: Any) -> None:
    """Add a loop to the registry under `variant_id` (lossboard.variant's work): in the order
    declared; DuplicateVariant if the id is taken, VariantError if its fields are wrong."""
    fields = facts.get("fields_model")
    if fields is not None:
        check_fields(variant_id, fields)
    facts.setdefault("origin", origin_of(loop))
    if facts["origin"] != TUTORIAL:  # a plugin: grouped under its package, no tutorial sizes,
        # and no live changes but those it names (its state()'s entries)
        facts = {"section": facts["origin"], "tutorial": facts["origin"], "knobs": (),
                 "hyper": (), **facts}  # fmt: skip
    if (known := REGISTRY.get(variant_id)) is not None:
        raise DuplicateVariant(
            f"two variants have the id {variant_id!r}: {where(known)} and "
            f"{loop.__module__}.{loop.__qualname__} ({facts['origin']}); rename one"
        )
    REGISTRY[variant_id] = Variant(variant_id, loop, **facts)


def check_fields(variant_id: str, fields: Any) -> None:
    """A variant's fields are a pydantic model whose names are not lossboard's own."""
    names = getattr(fields, "model_fields", None)
    if not isinstance(fields, type) or not isinstance(names, dict):
        raise VariantError(
            f"variant {variant_id!r}: fields must be a pydantic model (a subclass of "
            f"pydantic.BaseModel), not {fields!r}"
        )
    if clash := sorted(set(names) & set(COMMON_FIELDS)):
        raise VariantError(
            f"variant {variant_id!r}: its field(s) {', '.join(clash)} clash with lossboard's "
            f"common fields ({', '.join(COMMON_FIELDS)}); rename them"
        )


def origin_of(loop: Loop) -> str:
    """Where a loop comes from: the tutorial (this package's variants), or its top module."""
    module = loop.__module__
    return TUTORIAL if module.startswith("server.training.variants") else module.split(".")[0]


def where(variant: Variant) -> str:
    """A declared variant's loop and origin, for a message."""
    return f"{variant.loop.__module__}.{variant.loop.__qualname__} ({variant.origin})"


def variant(variant_id: str) -> Variant:
    """The registered variant, or a KeyError that lists the known ids."""
    load()
    try:
        return REGISTRY[variant_id]
    except KeyError:
        raise KeyError(f"'{variant_id}' is not one of {', '.join(REGISTRY)}") from None


def variants() -> list[Variant]:
    """Every registered variant, in the tutorial's order, then the plugins'."""
    load()
    return list(REGISTRY.values())


def load(modules: str | None = None) -> None:
    """Import the loops, which declares them: the tutorial's, then the plugins' (installed
    entry points, and `modules` or $LOSSBOARD_VARIANTS); each source once, and the plugins
    looked for once (entry points take milliseconds to list), or again when `modules` is
    given. torch comes with them, so only when asked."""
    if TUTORIAL not in _loaded:
        _loaded.add(TUTORIAL)
        # Inside the function: the loops import this module to declare, and bring torch.
        import server.training.variants  # noqa: F401
    if PLUGINS in _loaded and modules is None:
        return
    _loaded.add(PLUGINS)
    # Inside the function: discovery imports outside code, which imports this module.
    from server.training.variants import plugins

    plugins.discover(_loaded, modules)


def undecorated(source: str) -> str:
    """A function's source from its `def` line on: a learner reads the loop, not its entry."""
    lines = textwrap.dedent(source).splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("def "))
    return "".join(lines[start:])
