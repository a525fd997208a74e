"""The sampler: every `every_s` seconds, on a thread of its own, this process's and the machine's
CPU and memory, each GPU through NVML, and torch's CUDA allocator for the devices it has used.

The server runs one (`LOSSBOARD_SYSTEM_EVERY_S`; 0 runs none); under Ray each worker process
that trains a run runs its own, whose samples travel with the run's batches.
"""

from __future__ import annotations

import collections
import itertools
import threading
import time
from dataclasses import dataclass, field

import psutil
import torch

from server.system.nvml import GpuReading, Nvml

HISTORY_S = 300.0  # the dashboard's sparklines: the last five minutes


@dataclass(frozen=True)
class DeviceFigures:
    """A device now: utilisation (percent) and memory (bytes); a GPU's temperature and power."""

    utilization: float | None
    memory_used: int | None
    memory_total: int | None
    temperature_c: float | None = None
    power_w: float | None = None


@dataclass(frozen=True)
class CudaMemory:
    """Torch's caching allocator on one device, for this whole process (bytes)."""

    allocated: int
    reserved: int
    peak: int  # the most allocated at once since the peak was last reset


@dataclass(frozen=True)
class Sample:
    """One reading of everything: `seq` counts them, `clock` is time.perf_counter()."""

    seq: int
    at: float  # time.time()
    clock: float
    process_cpu_percent: float  # this process, of one core: up to 100 x cores
    rss_bytes: int  # this process's resident memory
    devices: dict[str, DeviceFigures]  # "cpu" (the machine) and each "cuda:N" torch sees
    cuda: dict[str, CudaMemory] = field(default_factory=dict)


class SystemSampler:
    """Reads a Sample every `every_s` seconds on its thread; keeps the latest and a history."""

    def __init__(self, every_s: float, nvml: Nvml | None = None) -> None:
        self.every_s = every_s
        self.process = psutil.Process()
        self.nvml = nvml
        self.latest: Sample | None = None
        self._history: collections.deque[Sample] = collections.deque(
            maxlen=max(2, int(HISTORY_S / every_s) + 1)
        )
        self._lock = threading.Lock()  # the history is read on request threads
        self._seq = itertools.count(1)
        self._names: dict[int, str] = {}  # NVML index -> the "cuda:N" torch calls it
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Open NVML, prime the CPU counters (their first reading is meaningless), start."""
        self.nvml = self.nvml or Nvml()
        self._names = cuda_names(self.nvml.uuids)
        self.process.cpu_percent(None)
        psutil.cpu_percent(None)
        self._thread = threading.Thread(target=self._loop, name="lossboard-system", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.nvml is not None:
            self.nvml.close()

    def history(self) -> list[Sample]:
        """The samples of the last HISTORY_S seconds, oldest first."""
        with self._lock:
            return list(self._history)

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            sample = self.sample()
            with self._lock:
                self._history.append(sample)
            self.latest = sample  # one reference, replaced whole: readers take it as it is

    def sample(self) -> Sample:
        """Read everything now (the CPU figures: since the previous reading)."""
        memory = psutil.virtual_memory()
        machine = DeviceFigures(
            psutil.cpu_percent(None), memory.total - memory.available, memory.total
        )
        gpus = self.nvml.read() if self.nvml is not None else []
        devices = {"cpu": machine, **gpu_figures(gpus, self._names)}
        with self.process.oneshot():
            cpu, rss = self.process.cpu_percent(None), self.process.memory_info().rss
        return Sample(next(self._seq), time.time(), time.perf_counter(), cpu, rss, devices,
                      cuda_memory())  # fmt: skip


def gpu_figures(gpus: list[GpuReading], names: dict[int, str]) -> dict[str, DeviceFigures]:
    """The GPUs torch sees, by its names for them (others are another process's business)."""
    return {
        names[gpu.index]: DeviceFigures(
            gpu.utilization, gpu.memory_used, gpu.memory_total, gpu.temperature_c, gpu.power_w
        )
        for gpu in gpus
        if gpu.index in names
    }


def cuda_names(uuids: list[str]) -> dict[int, str]:
    """NVML's index of each GPU torch sees -> "cuda:N", matched by UUID: CUDA_VISIBLE_DEVICES
    (Ray sets it for each task) and CUDA's own ordering renumber GPUs, NVML does neither."""
    if not uuids or not torch.cuda.is_available():
        return {}
    found = {}
    for i in range(torch.cuda.device_count()):
        uuid = f"GPU-{torch.cuda.get_device_properties(i).uuid}"
        if uuid in uuids:
            found[uuids.index(uuid)] = f"cuda:{i}"
    return found


def cuda_memory() -> dict[str, CudaMemory]:
    """Torch's allocator figures for each device this process has used (none before CUDA
    starts: reading them must not start it)."""
    if not torch.cuda.is_initialized():
        return {}
    return {
        f"cuda:{i}": CudaMemory(
            torch.cuda.memory_allocated(i),
            torch.cuda.memory_reserved(i),
            torch.cuda.max_memory_allocated(i),
        )
        for i in range(torch.cuda.device_count())
    }
