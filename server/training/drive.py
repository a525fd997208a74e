"""Driving a variant's loop wherever it runs: each loss checked and timed, handed on in batches.

The same generator runs on a local worker thread and inside a Ray task; both hand the run
manager `Batch`es about every `TICK_S`, the last one saying how the loop ended.
"""

from __future__ import annotations

import io
import math
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from itertools import chain
from typing import IO, Any

import numpy as np
import torch

from lossboard.run import name_problem
from server.system.runs import Sampled, oom_text, run_figures
from server.system.sampler import SystemSampler
from server.training import registry
from server.training.spec import TrainConfig, loop_fields

TICK_S = 0.05  # how often a running run hands on its new losses (the live stream's pace)
FIT_READS = 100  # a fit's parameters are read at least this often in a run, however fast it is
Ended = tuple[str, str | None]  # (status, error)
# Stops after which a loop with state hooks leaves a checkpoint at the step it waits at, without
# recording that step's loss: resume computes it first
KEEPING = ("paused", "interrupted")


@dataclass(frozen=True)
class Change:
    """A hyperparameter set to `value` at the yield of `step`: the update after that step's loss
    is the first made with it."""

    step: int
    field: str
    value: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Control:
    """How the server steers a running loop beyond stopping it; drive() reads it at each yield.

    `live` holds changes asked for while it runs (a field and value: they apply at the next
    yield); `schedule` the changes it applies at their steps (a run run again, or resumed)."""

    checkpoint_every_s: float = 0  # 0: only on pause and on a graceful stop
    time_offset: float = 0  # a resumed run's time at its first step: its times go on from it
    pause_at: int | None = None  # pause at the yield of this step (POST /step)
    resume: registry.Saved | None = None
    schedule: list[Change] = field(default_factory=list)
    live: deque[tuple[str, float]] = field(default_factory=deque)


@dataclass(frozen=True)
class Checkpoint:
    """What a loop's state() gave at the yield of `step`, copied (`state`) or, from a Ray task,
    serialized (`data`); `model` marks the final model, read at the loop's last yield."""

    step: int
    state: registry.State | None = None
    data: bytes | None = None
    model: bool = False

    def serialized(self) -> bytes:
        """The checkpoint as torch.save writes it (what a Ray task sends back)."""
        return self.data if self.data is not None else to_bytes(self.state or {})

    def save(self, out: IO[bytes]) -> None:
        """Write the checkpoint to an open file, as torch.save does."""
        if self.data is not None:
            out.write(self.data)
        else:
            torch.save(self.state or {}, out)

    def shipped(self) -> Checkpoint:
        """The same checkpoint serialized, to cross a process boundary as bytes."""
        return Checkpoint(self.step, data=self.serialized(), model=self.model)


@dataclass
class Batch:
    """Losses of consecutive steps and their times (seconds since the loop started)."""

    loss: array = field(default_factory=lambda: array("d"))
    time: array = field(default_factory=lambda: array("d"))
    # a fit's parameters at some of these steps: the first, each tick's last, every 1% of the
    # run's steps (so that a run of a few ticks still shows its fit changing), the run's last
    params: list[tuple[int, dict[str, float]]] = field(default_factory=list)
    ended: Ended | None = None  # on the last batch: how the loop ended
    samples: list[Sampled] = field(default_factory=list)  # the system sampler's, at their steps
    start: int | None = None  # on the first batch: its first step (a resumed run's is later)
    hooks: bool = False  # the loop offers state() and load_state(): it can pause and resume
    checkpoints: list[Checkpoint] = field(default_factory=list)
    # hyperparameter changes applied in this batch: Change, and the value it replaced
    changes: list[tuple[Change, float | None]] = field(default_factory=list)


def drive(
    config: TrainConfig,
    stop: Callable[[], str | None],
    sampler: SystemSampler | None = None,
    control: Control | None = None,
) -> Iterator[Batch]:
    """Run the variant's loop to its end, or until `stop()` names a status; cheap per step.
    Each tick takes the sampler's newest sample, if it is new, at the last step done. With
    `control`, a loop that offers state hooks resumes, checkpoints, pauses at a step and takes
    hyperparameter changes at its yields."""
    control = control or Control()
    batch = Batch()
    if config.device.startswith("cuda") and torch.cuda.is_initialized():  # its peak from here
        torch.cuda.reset_peak_memory_stats(config.device)
    t0 = next_tick = time.perf_counter()
    next_checkpoint = t0 + control.checkpoint_every_s
    seen = sampler.latest.seq if sampler and sampler.latest else 0  # taken before it started
    try:
        cfg, control.resume = loop_config(config, control.resume), None  # the loop's to load now
    except Exception as exc:  # its fields, as this worker's plugin reads them, are wrong
        yield Batch(ended=("failed", f"{type(exc).__name__}: {first_line(exc)}"))
        return
    loop = registry.variant(config.variant).loop(cfg)
    every = max(1, config.iterations // FIT_READS)
    last, offset = config.iterations - 1, control.time_offset
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is judged below
            readings = iter(loop)
            first = next(readings, None)  # up to the first yield: steps() has been called
            step = batch.start = cfg.start
            batch.hooks = hooks = cfg.state is not None
            hyper = registry.variant(config.variant).hyper
            changes = Changes(control, cfg.start, hyper) if hooks else None
            for reading in chain((first,), readings) if first is not None else ():
                now = time.perf_counter()
                stopped = stop()
                if hooks and (stopped in KEEPING or step == control.pause_at):
                    batch.checkpoints.append(take(cfg, step))  # this step again, on resume
                    batch.ended = stopped or "paused", None
                    break
                value, params = reading if isinstance(reading, tuple) else (reading, None)
                loss = named_series(batch, value, step, round(now - t0 + offset, 6))
                if not math.isfinite(loss):
                    batch.ended = "diverged", f"the loss became {loss} at iteration {step}"
                    break
                batch.loss.append(loss)
                batch.time.append(round(now - t0 + offset, 6))  # microseconds: finer is jitter
                tick = now >= next_tick
                # read while the loop waits at its yield: the parameters that gave this loss
                due = step % every == 0 or step == last
                if params and (tick or stopped or due):
                    batch.params.append((step, params()))
                if changes is not None and changes.due(step):
                    batch.changes.extend(changes.apply(cfg, step))
                if hooks and step == last:  # the weights that gave the run's last loss
                    batch.checkpoints.append(take(cfg, step, model=True))
                step += 1
                if stopped:
                    batch.ended = stopped, None
                    break
                if tick:
                    next_tick = now + TICK_S
                    if hooks and control.checkpoint_every_s and now >= next_checkpoint:
                        batch.checkpoints.append(take(cfg, step - 1))
                        next_checkpoint = time.perf_counter() + control.checkpoint_every_s
                    seen = take_sample(batch, sampler, seen, step - 1, t0 - offset, config.device)
                    yield batch
                    batch = Batch()
            else:
                batch.ended = "completed", None
    except torch.OutOfMemoryError as exc:
        batch.ended = "failed", out_of_memory(config.device, exc)
    except Exception as exc:  # any failure of the loop ends this run, not its worker
        batch.ended = "failed", f"{type(exc).__name__}: {first_line(exc)}"
    finally:
        loop.close()
    yield batch


class Changes:
    """A run's hyperparameter changes: those scheduled from `start` on, then live ones."""

    def __init__(self, control: Control, start: int, hyper: tuple[str, ...]) -> None:
        self.control, self.hyper = control, hyper
        pending = sorted((c for c in control.schedule if c.step >= start), key=lambda c: c.step)
        self.scheduled = deque(pending)

    def due(self, step: int) -> bool:
        """Whether a change applies at `step` (cheap: called at every yield)."""
        return bool(self.control.live) or bool(self.scheduled and self.scheduled[0].step <= step)

    def apply(self, cfg: registry.LoopConfig, step: int) -> list[tuple[Change, float | None]]:
        """Set the changes due at `step` through the loop's hooks; each with the old value."""
        due = []
        while self.scheduled and self.scheduled[0].step <= step:
            due.append(self.scheduled.popleft())
        while self.control.live:
            name, value = self.control.live.popleft()
            due.append(Change(step, name, value))
        assert cfg.state is not None and cfg.load_state is not None
        state, applied = cfg.state(), []
        for change in due:
            old = state.get(change.field) if change.field in self.hyper else None
            state[change.field] = change.value
            applied.append((change, None if old is None else float(old)))
        cfg.load_state(state)  # the state as it is, but for the changed hyperparameters
        return applied


def take(cfg: registry.LoopConfig, step: int, model: bool = False) -> Checkpoint:
    """A copy of the loop's state at the yield of `step` (only its model for the final one)."""
    assert cfg.state is not None
    state = cfg.state()
    if model:
        state = state.get("model", state)
    return Checkpoint(step, snapshot(state, "state()"), model=model)


def snapshot(value: Any, where: str) -> Any:
    """A deep copy of a state that the loop cannot change any more: tensors cloned to the CPU;
    anything torch.load(weights_only=True) would refuse is refused here, naming where it is."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, dict):
        return {k: snapshot(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        copied = [snapshot(v, f"{where}[{i}]") for i, v in enumerate(value)]
        return copied if isinstance(value, list) else tuple(copied)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(
        f"{where} is a {type(value).__name__}: a state holds tensors, numbers, strings, and "
        "lists, tuples and dicts of them (make NumPy arrays tensors with torch.from_numpy)"
    )


def to_bytes(state: registry.State) -> bytes:
    """A state as torch.save writes it."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def loop_config(config: TrainConfig, resume: registry.Saved | None = None) -> registry.LoopConfig:
    """What the variant's loop is given for a run of `config`, going on from `resume` if any:
    its fields as an instance of its fields model, validated."""
    fields = loop_fields(config)
    return registry.LoopConfig(config.iterations, config.seed, config.device, fields, resume)


def named_series(batch: Batch, value: object, step: int, at: float) -> float:
    """A step's loss; a dict's other entries go into the batch as named series at the step (the
    way the run's system samples travel), its `loss` is the run's primary. Anything but a
    number or such a dict is a TypeError that fails the run, saying what the loop yielded."""
    if not isinstance(value, dict):
        if isinstance(value, str | bytes) or not hasattr(value, "__float__"):
            raise TypeError(
                f"the loop yielded {type(value).__name__} {value!r:.60} at step {step}: yield a "
                "loss (a float) or a dict of named floats with a 'loss'"
            )
        return float(value)
    if "loss" not in value:
        names = ", ".join(map(str, value))
        raise TypeError(f"the loop yielded a dict without 'loss' at step {step} ({names})")
    for name in value:
        if problem := name_problem(name):
            raise TypeError(f"the loop yielded series {name!r:.60} at step {step}: {problem}")
    others = {k: float(v) for k, v in value.items() if k != "loss"}
    if others:
        batch.samples.append(Sampled(step, at, others))
    return float(value["loss"])


def take_sample(
    batch: Batch, sampler: SystemSampler | None, seen: int, step: int, t0: float, device: str
) -> int:
    """Add the sampler's newest sample to the batch at `step` if it is one not yet seen (a
    step that saw two samples keeps the later); the newest sample's number."""
    sample = sampler.latest if sampler is not None else None
    if sample is None or sample.seq == seen:
        return seen
    batch.samples.append(Sampled(step, round(sample.clock - t0, 6), run_figures(sample, device)))
    return sample.seq


def out_of_memory(device: str, exc: torch.OutOfMemoryError) -> str:
    """The error of a run that ran out of CUDA memory: the device's memory and the run's peak."""
    if not device.startswith("cuda"):
        return f"out of memory on {device}: {first_line(exc)}"
    free, total = torch.cuda.mem_get_info(device)
    return oom_text(device, free, total, torch.cuda.max_memory_allocated(device), first_line(exc))


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (CUDA errors run on for many lines)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
