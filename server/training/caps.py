"""Caps on the work a server takes on: one run's size and iterations, and its queue's length."""

from __future__ import annotations

from dataclasses import dataclass

from server.exceptions import TooMany
from server.training import registry
from server.training.spec import ConfigError, RunSpec, estimate_bytes


class QueueFull(TooMany):
    """The server holds as many queued runs as it takes; a new one must wait for room."""


@dataclass(frozen=True)
class Caps:
    """The limits a RunManager checks before it records a run."""

    max_run_bytes: int = 2**30
    max_iterations: int = 10_000_000
    max_queued: int = 1000

    def check_run(self, spec: RunSpec) -> None:
        """Refuse, before allocating anything, a run over a cap (ConfigError names the field)."""
        if (iterations := spec.iterations_or_default()) > self.max_iterations:
            raise ConfigError(
                "iterations",
                f"{iterations:,} iterations is over this server's limit of "
                f"{self.max_iterations:,} a run",
            )
        self.check_size(spec)

    def check_size(self, spec: RunSpec) -> None:
        """Refuse a run whose tensors would pass the size cap, naming its largest size."""
        need = estimate_bytes(spec)
        if need <= self.max_run_bytes:
            return
        sizes = {k: spec.knob(k) for k in registry.variant(spec.variant).knobs}
        largest = max(sizes, key=sizes.__getitem__)
        shown = ", ".join(f"{k}={v}" for k, v in sizes.items())
        raise ConfigError(
            largest,
            f"the run's tensors would take about {format_bytes(need)} ({shown}), "
            f"over the cap of {format_bytes(self.max_run_bytes)}",
        )

    def check_queue(self, queued: int, adding: int = 1) -> None:
        """QueueFull when `adding` more runs would take the `queued` ones past the cap, which
        counts every lane together; a group is refused whole."""
        if queued + adding <= self.max_queued:
            return
        if adding == 1:
            raise QueueFull(
                f"{queued:,} runs are queued, the most this server takes; "
                "try again once some have started"
            )
        raise QueueFull(
            f"{adding:,} more runs would take the queue past its cap of {self.max_queued:,} "
            f"({queued:,} queued now)"
        )


def format_bytes(n: int) -> str:
    """1536 -> '1.5 KiB'."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{value:.3g} {unit}"
        value /= 1024
    return f"{n} B"
