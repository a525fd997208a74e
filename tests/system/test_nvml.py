"""The NVML reading code against NVML's recorded answers (no GPU needed)."""

from __future__ import annotations

import pytest

from server.system.nvml import GpuReading, Nvml
from server.system.sampler import DeviceFigures, gpu_figures
from tests.system.recorded import RecordedNvml

H100_TOTAL = 85520809984


def test_two_gpus_read_as_nvml_answered():
    api = RecordedNvml("nvml_two_h100.json")
    nvml = Nvml(api)
    readings = nvml.read()
    nvml.close()
    assert api.finished()
    assert readings == [
        GpuReading(0, "GPU-5d6f4b0e-8a3c-2b1f-9e7d-0c4a1b2e3f40", 97.0, 81460723712, H100_TOTAL,
                   63.0, 612.345),
        GpuReading(1, "GPU-a1b2c3d4-e5f6-0718-293a-4b5c6d7e8f90", 0.0, 533069824, H100_TOTAL,
                   31.0, None),
    ]  # fmt: skip


def test_a_figure_the_gpu_lacks_is_none_and_the_rest_still_read():
    nvml = Nvml(RecordedNvml("nvml_two_h100.json"))
    second = nvml.read()[1]
    assert second.power_w is None and second.temperature_c == 31.0
    assert second.memory_used == 533069824


def test_no_driver_means_no_gpu_part_and_nothing_fails():
    api = RecordedNvml("nvml_no_driver.json")
    nvml = Nvml(api)
    assert nvml.read() == [] and nvml.uuids == []
    nvml.close()  # shuts nothing down: NVML never started
    assert api.finished()


def test_gpus_are_named_as_torch_numbers_them_and_others_left_out():
    readings = Nvml(RecordedNvml("nvml_two_h100.json")).read()
    # Ray shows a task only the second GPU, which torch there calls cuda:0
    figures = gpu_figures(readings, {1: "cuda:0"})
    assert figures == {"cuda:0": DeviceFigures(0.0, 533069824, H100_TOTAL, 31.0, None)}


def test_a_call_that_was_not_recorded_fails_the_replay():
    api = RecordedNvml("nvml_no_driver.json")
    with pytest.raises(AssertionError, match="nvmlDeviceGetCount"):
        api.nvmlDeviceGetCount()


def test_a_gpu_that_stops_answering_is_left_out_and_the_others_still_read():
    api = RecordedNvml("nvml_gpu_lost.json")
    nvml = Nvml(api)
    readings = nvml.read()
    nvml.close()
    assert api.finished()
    assert [(r.index, r.utilization, r.memory_used) for r in readings] == [(0, 12.0, 5520809984)]
