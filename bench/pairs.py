"""Paired timing for a noisy machine: A and B measured side by side, in alternating order.

On the 2-core VM these benchmarks were written on, the same work takes 0.24 s for a while
and then 0.42 s for a while (bench/engine.py's numpy loop, 30 runs in a row). Two medians
of five can then fall in different spells and their ratio says more about the machine than
about the code. So each repeat measures A and B back to back (ABBA: A first in even
repeats, B first in odd ones, so neither always gets the warmer or the later slot), and
besides the ratio of the medians we print the median of the repeats' own B/A ratios, which
a change of spell between repeats cannot move.

`settle` waits before each measurement, so that what the previous one left behind (OpenMP
and OpenBLAS threads spin-wait for a while after their work, and on 2 cores a spinning
thread takes half the machine from the next measurement) has gone quiet.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class Paired(Generic[T]):
    """Wall times of A and B, and whatever else each measurement returned."""

    a: list[float] = field(default_factory=list)
    b: list[float] = field(default_factory=list)
    a_extra: list[T] = field(default_factory=list)
    b_extra: list[T] = field(default_factory=list)

    @property
    def ratio_of_medians(self) -> float:
        return statistics.median(self.b) / statistics.median(self.a)

    @property
    def ratios(self) -> list[float]:
        return [b / a for a, b in zip(self.a, self.b, strict=True)]

    @property
    def paired_ratio(self) -> float:
        return statistics.median(self.ratios)


def measure_pairs(
    repeats: int,
    a: Callable[[], tuple[float, T]],
    b: Callable[[], tuple[float, T]],
    settle: float = 0.0,
) -> Paired[T]:
    """Run `a` and `b` (each returning seconds and an extra) `repeats` times, in ABBA order,
    `settle` seconds after the previous measurement."""
    out: Paired[T] = Paired()
    for i in range(repeats):
        for side in ("a", "b") if i % 2 == 0 else ("b", "a"):
            time.sleep(settle)
            seconds, extra = (a if side == "a" else b)()
            getattr(out, side).append(seconds)
            getattr(out, f"{side}_extra").append(extra)
    return out


def fmt(values: list[float], digits: int = 2) -> str:
    return "(" + ", ".join(f"{v:.{digits}f}" for v in values) + ")"
