"""The variant registry: each of the tutorial's loops declared once, with every fact about it.

`variants.py` registers each loop beside its code; run validation, device checks, the API,
the pages and the CLI (through the API) all read the entries here.
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

    def default_learning_rate(self, optimizer: str | None) -> float:
        """The tutorial's learning rate, for the optimizer when the variant takes one."""
        return self.learning_rates[optimizer] if optimizer else self.learning_rate

    def defaults(self) -> dict[str, Any]:
        """The RunCreate values a run of this variant gets when it names none."""
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
        }


KNOB_DEFAULTS: dict[str, int] = {"N": 64, "D_in": 1000, "H": 100, "D_out": 10, "points": POINTS}
REGISTRY: dict[str, Variant] = {}


def register(variant_id: str, **facts: Any) -> Callable[[Loop], Loop]:
    """Decorate a loop to add it to the registry under `variant_id`, in the tutorial's order."""

    def add(loop: Loop) -> Loop:
        if variant_id in REGISTRY:
            raise ValueError(f"variant {variant_id!r} is registered twice")
        REGISTRY[variant_id] = Variant(variant_id, loop, **facts)
        return loop

    return add


def variant(variant_id: str) -> Variant:
    """The registered variant, or a KeyError that lists the known ids."""
    load()
    try:
        return REGISTRY[variant_id]
    except KeyError:
        raise KeyError(f"'{variant_id}' is not one of {', '.join(REGISTRY)}") from None


def variants() -> list[Variant]:
    """Every registered variant, in the tutorial's order."""
    load()
    return list(REGISTRY.values())


def load() -> None:
    """Import the loops, which registers them (torch comes with them, so only when asked)."""
    # Inside the function: the loops import this module to register, and bring torch.
    import server.training.variants  # noqa: F401


def undecorated(source: str) -> str:
    """A function's source from its `def` line on: a learner reads the loop, not its entry."""
    lines = textwrap.dedent(source).splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("def "))
    return "".join(lines[start:])
