"""Each GPU's utilisation, memory, temperature and power through NVML (nvidia-ml-py).

`api` is the pynvml module; tests hand in a replay of NVML's recorded answers instead. Where
there is no driver or no GPU, NVML fails to start and there is simply no GPU part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pynvml

T = TypeVar("T")


@dataclass(frozen=True)
class GpuReading:
    """One GPU now, as NVML sees it (index is NVML's, which ignores CUDA_VISIBLE_DEVICES)."""

    index: int
    uuid: str
    utilization: float | None  # percent of the last sample period a kernel ran
    memory_used: int
    memory_total: int
    temperature_c: float | None
    power_w: float | None


class Nvml:
    """An NVML session: opened once, read at each sample, shut down at the end."""

    def __init__(self, api: Any = pynvml) -> None:
        self.api = api
        self.handles: list[Any] = []
        self.uuids: list[str] = []
        try:
            api.nvmlInit()
        except api.NVMLError:  # no driver or no library: a machine without a GPU
            self.started = False
            return
        self.started = True
        self.handles = [api.nvmlDeviceGetHandleByIndex(i) for i in range(api.nvmlDeviceGetCount())]
        self.uuids = [text(api.nvmlDeviceGetUUID(handle)) for handle in self.handles]

    def read(self) -> list[GpuReading]:
        """Every GPU's figures now; a figure a GPU does not support is None, and a GPU that
        does not answer (one fallen off the bus) is left out of this sample."""
        readings = []
        for index, handle in enumerate(self.handles):
            try:
                readings.append(self._read(index, handle))
            except self.api.NVMLError:
                continue
        return readings

    def _read(self, index: int, handle: Any) -> GpuReading:
        api = self.api
        rates = self.optional(lambda: api.nvmlDeviceGetUtilizationRates(handle))
        memory = api.nvmlDeviceGetMemoryInfo(handle)
        temperature = self.optional(
            lambda: api.nvmlDeviceGetTemperature(handle, api.NVML_TEMPERATURE_GPU)
        )
        milliwatts = self.optional(lambda: api.nvmlDeviceGetPowerUsage(handle))
        return GpuReading(
            index=index,
            uuid=self.uuids[index],
            utilization=None if rates is None else float(rates.gpu),
            memory_used=int(memory.used),
            memory_total=int(memory.total),
            temperature_c=None if temperature is None else float(temperature),
            power_w=None if milliwatts is None else milliwatts / 1000,
        )

    def optional(self, read: Callable[[], T]) -> T | None:
        """A figure some GPUs lack (a MIG slice has no utilisation; many no power reading)."""
        try:
            return read()
        except self.api.NVMLError_NotSupported:
            return None

    def close(self) -> None:
        if self.started:
            self.api.nvmlShutdown()
            self.started = False


def text(value: str | bytes) -> str:
    """NVML's strings: str from nvidia-ml-py 11.5 on, bytes before."""
    return value.decode() if isinstance(value, bytes) else value
