"""A run's view of the samples: the figures of its process and its device, as `system/` series
at the step the run had reached, and the peaks its numbers show.

Locally a run is a thread of the server, so its CPU and RSS are the server process's (two local
runs at once share them); under Ray they are its worker process's. Torch's allocator figures
are per process and device, so two CUDA runs on one device share them too.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from server.store import series
from server.store.series import Points
from server.system.sampler import Sample

PEAKS = {"system/rss_bytes": "peak_rss_bytes", "system/cuda_peak_bytes": "cuda_peak_bytes"}


@dataclass(frozen=True)
class Sampled:
    """One sample as a run keeps it: its step, its time since the run's loop started (s)."""

    step: int
    time: float
    values: dict[str, float]


def run_figures(sample: Sample, device: str) -> dict[str, float]:
    """The `system/` series a run on `device` records from a sample."""
    machine = sample.devices["cpu"]
    out = {
        "system/cpu_percent": sample.process_cpu_percent,
        "system/rss_bytes": float(sample.rss_bytes),
    }
    if machine.utilization is not None:
        out["system/machine_cpu_percent"] = machine.utilization
    if device.startswith("cuda") and (gpu := sample.devices.get(device)) is not None:
        figures = {"gpu_util": gpu.utilization, "gpu_mem_bytes": gpu.memory_used,
                   "gpu_temp_c": gpu.temperature_c, "gpu_power_w": gpu.power_w}  # fmt: skip
        out |= {f"system/{k}": float(v) for k, v in figures.items() if v is not None}
    if (cuda := sample.cuda.get(device)) is not None:
        out["system/cuda_allocated_bytes"] = float(cuda.allocated)
        out["system/cuda_reserved_bytes"] = float(cuda.reserved)
        out["system/cuda_peak_bytes"] = float(cuda.peak)
    return out


def peaks(samples: list[Sampled], known: dict[str, int | None]) -> dict[str, int | None]:
    """The run's peak RSS and CUDA peak: `known` so far, raised by `samples`."""
    out = dict(known)
    for name, column in PEAKS.items():
        for value in (int(s.values[name]) for s in samples if name in s.values):
            before = out.get(column)
            out[column] = value if before is None else max(before, value)
    return out


def store_samples(conn: sqlite3.Connection, run_id: int, samples: list[Sampled]) -> None:
    """Store samples as one batch of each series they hold (in the caller's transaction)."""
    columns: dict[str, list[tuple[int, float, float]]] = defaultdict(list)
    for sample in samples:
        for name, value in sample.values.items():
            columns[name].append((sample.step, value, sample.time))
    for name, rows in columns.items():
        steps, values, times = zip(*rows, strict=True)
        points = Points(np.array(steps, dtype=np.int64), np.array(values), np.array(times))
        series.insert(conn, run_id, name, points)


def oom_text(device: str, free: int, total: int, peak: int, message: str) -> str:
    """A CUDA out-of-memory error as a run's `error`: what the device had, what the run reached."""
    return (
        f"out of memory on {device}: the device has {gib(total)} in all, {gib(free)} free now; "
        f"this process's allocations reached {gib(peak)} during the run: {message}"
    )


def gib(size: int) -> str:
    return f"{size / 2**30:.2f} GiB"
