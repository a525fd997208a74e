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

from server.training import registry
from server.training.spec import TrainConfig

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


def drive(config: TrainConfig, stop: Callable[[], str | None]) -> Iterator[Batch]:
    """Run the variant's loop to its end, or until `stop()` names a status; cheap per step."""
    batch, step = Batch(), 0
    t0 = next_tick = time.perf_counter()
    loop = registry.variant(config.variant).loop(config)
    every = max(1, config.iterations // FIT_READS)
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is judged below
            for reading in loop:
                now = time.perf_counter()
                value, params = reading if isinstance(reading, tuple) else (reading, None)
                loss = float(value)
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
                    yield batch
                    batch = Batch()
            else:
                batch.ended = "completed", None
    except torch.OutOfMemoryError as exc:
        batch.ended = "failed", f"out of memory on {config.device}: {first_line(exc)}"
    except Exception as exc:  # any failure of the loop ends this run, not its worker
        batch.ended = "failed", f"{type(exc).__name__}: {first_line(exc)}"
    finally:
        loop.close()
    yield batch


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (CUDA errors run on for many lines)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
