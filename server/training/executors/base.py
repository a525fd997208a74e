"""The executor seam: what the RunManager needs of the place where runs train (Executor), the
Worker that took a run, and Stop.

The RunManager keeps validation, statuses, queues, cancel and the store. An executor tells it
which devices there are and how many runs each queue (a lane) may train at once, and runs
one: it yields the Worker that took the run, then Batches of losses, the last saying how the
run ended. LocalExecutor (local.py) trains on the server's threads, RayExecutor (ray_tasks.py)
runs the same loop as a Ray task.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import torch

from server.training.devices import Device, blas_threads
from server.training.drive import Batch, Control
from server.training.spec import TrainConfig

Stop = Callable[[], "str | None"]  # the status a run was stopped with, once it has been


@dataclass(frozen=True)
class Worker:
    """Where a run trained, and with how many threads (its losses depend on them)."""

    executor: str  # "local" or "ray"
    node: str  # the Ray node's id, or "local"
    host: str
    device: str  # the device it used, e.g. "cpu" or "cuda:0"
    threads: int  # torch's intra-op threads
    blas_threads: int | None  # NumPy's BLAS threads, which the numpy loop computes with

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def this_worker(executor: str, node: str, device: str) -> Worker:
    """The Worker that this process is, training on `device`."""
    threads, blas = torch.get_num_threads(), blas_threads()
    return Worker(executor, node, socket.gethostname(), device, threads, blas)


class Executor(Protocol):
    """What the RunManager needs of the place where runs train."""

    name: str

    def start(self) -> None: ...

    def close(self) -> None: ...

    def devices(self) -> list[Device]: ...

    def lanes(self) -> dict[str, int]: ...

    def lane(self, device: str) -> str: ...

    def resolve_device(self, requested: str, variant: str) -> str: ...

    def execute(
        self, run_id: int, config: TrainConfig, stop: Stop, control: Control | None = None
    ) -> Iterator[Worker | Batch]: ...

    def signal(self, run_id: int, stop: str | None, changes: list[tuple[str, float]]) -> None:
        """Ask a running run to pause or stop keeping its state, or to change hyperparameters,
        at its next step (where its loop cannot read the run's Control itself)."""

    def cancel(self, run_id: int) -> None: ...

    def health(self) -> str: ...

    def cluster(self) -> dict[str, Any] | None: ...
