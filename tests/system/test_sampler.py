"""The sampler on this machine: its figures are psutil's, read on a thread every interval."""

from __future__ import annotations

import itertools
import os
import threading

import psutil

from server.system.nvml import Nvml
from server.system.sampler import SystemSampler
from tests.helpers import wait_for
from tests.system.recorded import RecordedNvml


def no_gpu() -> Nvml:
    return Nvml(RecordedNvml("nvml_no_driver.json"))


def test_a_sample_holds_this_process_and_the_machine():
    sampler = SystemSampler(0.05, nvml=no_gpu())
    sampler.start()
    try:
        sample = wait_for(lambda: sampler.latest)
    finally:
        sampler.close()
    rss = psutil.Process().memory_info().rss
    assert abs(sample.rss_bytes - rss) < 0.2 * rss  # the same pid's RSS, a moment apart
    assert 0 <= sample.process_cpu_percent <= 100 * os.cpu_count()
    cpu = sample.devices["cpu"]
    assert 0 <= cpu.utilization <= 100
    assert cpu.memory_total == psutil.virtual_memory().total and cpu.memory_used > 0
    assert sample.cuda == {}  # this process has not started CUDA
    assert set(sample.devices) == {"cpu"}  # no driver: no GPU part


def test_samples_come_each_interval_into_the_history():
    sampler = SystemSampler(0.02, nvml=no_gpu())
    sampler.start()
    try:
        wait_for(lambda: len(sampler.history()) >= 5)
    finally:
        sampler.close()
    history = sampler.history()
    assert [s.seq for s in history] == list(range(1, len(history) + 1))
    assert all(b.at > a.at for a, b in itertools.pairwise(history))


def test_close_ends_its_thread():
    sampler = SystemSampler(0.02, nvml=no_gpu())
    sampler.start()
    assert "lossboard-system" in {t.name for t in threading.enumerate()}
    sampler.close()
    assert "lossboard-system" not in {t.name for t in threading.enumerate()}
