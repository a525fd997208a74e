"""A run's view of the samples: which series it records, its peaks, its OOM error."""

from __future__ import annotations

import sqlite3

import numpy as np

from server.store import series
from server.store.migrations import migrate
from server.system.nvml import Nvml
from server.system.runs import Sampled, oom_text, peaks, run_figures, store_samples
from server.system.sampler import CudaMemory, DeviceFigures, Sample, gpu_figures
from tests.system.recorded import RecordedNvml


def sample_on_two_gpus() -> Sample:
    gpus = gpu_figures(Nvml(RecordedNvml("nvml_two_h100.json")).read(), {0: "cuda:0", 1: "cuda:1"})
    cpu = DeviceFigures(37.5, 40 * 2**30, 256 * 2**30)
    cuda = {"cuda:0": CudaMemory(70 * 2**30, 75 * 2**30, 74 * 2**30)}
    return Sample(3, 1e9, 10.0, 180.0, 3 * 2**30, {"cpu": cpu, **gpus}, cuda)


def test_a_cpu_run_records_its_process_and_the_machine():
    assert run_figures(sample_on_two_gpus(), "cpu") == {
        "system/cpu_percent": 180.0,
        "system/rss_bytes": 3 * 2**30,
        "system/machine_cpu_percent": 37.5,
    }


def test_a_cuda_run_adds_its_own_gpu_and_torchs_allocator():
    figures = run_figures(sample_on_two_gpus(), "cuda:0")
    assert figures["system/gpu_util"] == 97.0 and figures["system/gpu_mem_bytes"] == 81460723712
    assert figures["system/gpu_temp_c"] == 63.0 and figures["system/gpu_power_w"] == 612.345
    assert figures["system/cuda_peak_bytes"] == 74 * 2**30
    assert figures["system/cuda_reserved_bytes"] == 75 * 2**30
    other = run_figures(sample_on_two_gpus(), "cuda:1")  # no power sensor, no allocator yet
    assert "system/gpu_power_w" not in other and "system/cuda_peak_bytes" not in other


def test_peaks_are_the_most_seen():
    samples = [Sampled(0, 0.1, {"system/rss_bytes": 5.0}),
               Sampled(4, 2.1, {"system/rss_bytes": 9.0, "system/cuda_peak_bytes": 7.0}),
               Sampled(9, 4.1, {"system/rss_bytes": 6.0})]  # fmt: skip
    found = peaks(samples, {"peak_rss_bytes": None, "cuda_peak_bytes": 8})
    assert found == {"peak_rss_bytes": 9, "cuda_peak_bytes": 8}


def test_samples_are_stored_as_series_at_their_steps(tmp_path):
    conn = sqlite3.connect(tmp_path / "db.sqlite3")
    migrate(conn, tmp_path / "db.sqlite3")
    samples = [Sampled(0, 0.5, {"system/rss_bytes": 5.0, "system/cpu_percent": 99.0}),
               Sampled(7, 2.5, {"system/rss_bytes": 6.0, "system/cpu_percent": 101.0})]  # fmt: skip
    store_samples(conn, 1, samples)
    points = series.read(conn, 1, "system/rss_bytes")
    assert points.step.tolist() == [0, 7] and points.value.tolist() == [5.0, 6.0]
    np.testing.assert_array_equal(points.time, [0.5, 2.5])
    assert sorted(series.names(conn, 1)) == ["system/cpu_percent", "system/rss_bytes"]


def test_out_of_memory_says_what_the_device_had_and_the_run_reached():
    text = oom_text("cuda:0", 2**28, 80 * 2**30, 79 * 2**30 + 2**29, "CUDA out of memory.")
    assert text == (
        "out of memory on cuda:0: the device has 80.00 GiB in all, 0.25 GiB free now; this "
        "process's allocations reached 79.50 GiB during the run: CUDA out of memory."
    )
