"""Where a run's loop executes: the Executor seam, and LocalExecutor, the server's own threads.

The RunManager keeps validation, statuses, queues, cancel and the store. An executor tells it
which devices there are and how many runs each queue (a lane) may train at once, and runs
one: it yields the Worker that took the run, then Batches of losses, the last saying how the
run ended. `RayExecutor` (ray_executor.py) runs the same loop as a Ray task.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import torch

from server.system.sampler import SystemSampler
from server.training.devices import Device, blas_threads, list_devices, resolve_device
from server.training.drive import Batch, drive
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

    def execute(self, run_id: int, config: TrainConfig, stop: Stop) -> Iterator[Worker | Batch]: ...

    def cancel(self, run_id: int) -> None: ...

    def health(self) -> str: ...

    def cluster(self) -> dict[str, Any] | None: ...


def make_executor(
    kind: str,
    ray_address: str | None = None,
    workers_per_device: int = 1,
    sampler: SystemSampler | None = None,
) -> Executor:
    """The executor a server was asked for: `local`, or `ray` (imported only then). Runs record
    the sampler's samples: locally the server's own, under Ray each worker's at that interval."""
    if kind == "ray":
        from server.training.ray_executor import RayExecutor

        return RayExecutor(ray_address, system_every_s=sampler.every_s if sampler else 0)
    return LocalExecutor(workers_per_device=workers_per_device, sampler=sampler)


class LocalExecutor:
    """Runs train on the manager's worker threads, `workers_per_device` per device."""

    name = "local"

    def __init__(
        self,
        devices: list[Device] | None = None,
        workers_per_device: int = 1,
        sampler: SystemSampler | None = None,
    ) -> None:
        self._devices = devices if devices is not None else list_devices()
        self.workers_per_device = workers_per_device
        self.sampler = sampler  # the server's: a local run's figures are the server process's

    def start(self) -> None:
        """Nothing to start: the manager's threads are the workers."""

    def close(self) -> None:
        """Nothing to stop."""

    def devices(self) -> list[Device]:
        return self._devices

    def lanes(self) -> dict[str, int]:
        """One queue per device."""
        return {device.id: self.workers_per_device for device in self._devices}

    def lane(self, device: str) -> str:
        return device

    def resolve_device(self, requested: str, variant: str) -> str:
        return resolve_device(requested, variant, self._devices)

    def execute(self, run_id: int, config: TrainConfig, stop: Stop) -> Iterator[Worker | Batch]:
        """Train on the calling thread; `stop` is checked after every step."""
        yield this_worker(self.name, "local", config.device)
        yield from drive(config, stop, self.sampler)

    def cancel(self, run_id: int) -> None:
        """Nothing to do: the loop sees the stop after its current step."""

    def health(self) -> str:
        return "ok"

    def cluster(self) -> dict[str, Any] | None:
        return None
