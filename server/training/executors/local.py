"""LocalExecutor: runs train on the server's own lane threads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from server.system.sampler import SystemSampler
from server.training.devices import Device, list_devices, resolve_device
from server.training.drive import Batch, Control, drive
from server.training.executors.base import Stop, Worker, this_worker
from server.training.spec import TrainConfig


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

    def execute(
        self, run_id: int, config: TrainConfig, stop: Stop, control: Control | None = None
    ) -> Iterator[Worker | Batch]:
        """Train on the calling thread; `stop` and `control` are read at every step."""
        yield this_worker(self.name, "local", config.device)
        yield from drive(config, stop, self.sampler, control)

    def signal(self, run_id: int, stop: str | None, changes: list[tuple[str, float]]) -> None:
        """Nothing to do: the loop reads the run's stop and Control itself."""

    def cancel(self, run_id: int) -> None:
        """Nothing to do: the loop sees the stop after its current step."""

    def health(self) -> str:
        return "ok"

    def cluster(self) -> dict[str, Any] | None:
        return None
