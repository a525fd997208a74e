"""Driving a variant's loop wherever it runs: each loss checked and timed, handed on in batches.

The same generator runs on a local worker thread and inside a Ray task; both hand the run
manager `Batch`es about every `TICK_S`, the last one saying how the loop ended.
"""

from __future__ import annotations

import math
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

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


def drive(
    config: TrainConfig, stop: Callable[[], str | None], sampler: SystemSampler | None = None
) -> Iterator[Batch]:
    """Run the variant's loop to its end, or until `stop()` names a status; cheap per step.
    Each tick takes the sampler's newest sample, if it is new, at the last step done."""
    batch, step = Batch(), 0
    if config.device.startswith("cuda") and torch.cuda.is_initialized():  # its peak from here
        torch.cuda.reset_peak_memory_stats(config.device)
    t0 = next_tick = time.perf_counter()
    seen = sampler.latest.seq if sampler and sampler.latest else 0  # taken before it started
    try:
        loop = registry.variant(config.variant).loop(loop_config(config))
    except Exception as exc:  # its fields, as this worker's plugin reads them, are wrong
        yield Batch(ended=("failed", f"{type(exc).__name__}: {first_line(exc)}"))
        return
    every = max(1, config.iterations // FIT_READS)
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is judged below
            for reading in loop:
                now = time.perf_counter()
                value, params = reading if isinstance(reading, tuple) else (reading, None)
                loss = named_series(batch, value, step, round(now - t0, 6))
                if not math.isfinite(loss):
                    batch.ended = "diverged", f"the loss became {loss} at iteration {step}"
                    break
                batch.loss.append(loss)
                batch.time.append(round(now - t0, 6))  # microseconds: finer is jitter
                stopped, tick = stop(), now >= next_tick
                # read while the loop waits at its yield: the parameters that gave this loss
                due = step % every == 0 or step == config.iterations - 1
                if params and (tick or stopped or due):
                    batch.params.append((step, params()))
                step += 1
                if stopped:
                    batch.ended = stopped, None
                    break
                if tick:
                    next_tick = now + TICK_S
                    seen = take_sample(batch, sampler, seen, step - 1, t0, config.device)
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
