"""A run training beside the sampler records its samples as `system/` series, at its steps."""

from __future__ import annotations

import numpy as np
import pytest

from server.system.nvml import Nvml
from server.system.runs import Sampled
from server.system.sampler import SystemSampler
from server.training.drive import drive
from server.training.executors import LocalExecutor
from server.training.run import SAMPLES_PER_ROW, Run
from server.training.spec import RunSpec, TrainConfig
from tests.helpers import TINY, wait_finished
from tests.system.recorded import RecordedNvml


@pytest.fixture
def sampler():
    sampler = SystemSampler(0.05, nvml=Nvml(RecordedNvml("nvml_no_driver.json")))
    sampler.start()
    yield sampler
    sampler.close()


def config(iterations: int) -> TrainConfig:
    return TrainConfig("tensors", "cpu", iterations, 1e-6, None, 0, 8, 16, 16, 1, "float32")


def test_each_new_sample_lands_once_at_the_step_the_run_had_reached(sampler):
    samples, steps = [], 0
    for batch in drive(config(30_000), lambda: None, sampler):
        samples.extend(batch.samples)
        steps += len(batch.loss)
    assert len(samples) >= 2, "the run should span several 50 ms samples"
    ats = [s.step for s in samples]
    assert ats == sorted(set(ats)) and ats[0] >= 0 and ats[-1] < steps  # a step holds one
    assert all(s.time >= 0 for s in samples)  # none from before the run started
    assert set(samples[0].values) == {"system/cpu_percent", "system/rss_bytes",
                                      "system/machine_cpu_percent"}  # fmt: skip


def test_without_a_sampler_a_run_has_no_samples():
    assert all(not batch.samples for batch in drive(config(2000), lambda: None))


def test_the_manager_stores_them_and_the_runs_peak(make_manager, store, sampler):
    manager = make_manager(executor=LocalExecutor(workers_per_device=1, sampler=sampler))
    run = manager.submit(RunSpec(variant="tensors", iterations=30_000, **TINY))
    final = wait_finished(manager, run.id)
    names = {s["name"] for s in manager.reads.series_list(run.id)}
    assert {"loss", "system/cpu_percent", "system/rss_bytes"} <= names
    rss = manager.reads.series_points(run.id, "system/rss_bytes")
    assert len(rss) >= 2 and final["peak_rss_bytes"] == int(np.max(rss.value))
    assert final["cuda_peak_bytes"] is None  # a CPU run
    stored = store.get_run(run.id)
    assert stored["peak_rss_bytes"] == final["peak_rss_bytes"]


def test_samples_go_to_the_store_sixteen_at_a_time_and_the_rest_at_the_end():
    run = Run(id=1, config=config(100), name=None)
    batch = [Sampled(i, i / 2, {"system/rss_bytes": 1e8 + i}) for i in range(SAMPLES_PER_ROW + 3)]
    run.take_samples(batch[: SAMPLES_PER_ROW - 1])
    assert run.unstored_samples(final=False) == []  # not a row's worth yet
    run.take_samples(batch[SAMPLES_PER_ROW - 1 : SAMPLES_PER_ROW])
    assert run.unstored_samples(final=False) == batch[:SAMPLES_PER_ROW]
    run.take_samples(batch[SAMPLES_PER_ROW:])
    assert run.unstored_samples(final=False) == []
    assert run.unstored_samples(final=True) == batch[SAMPLES_PER_ROW:]  # the run's end
    assert run.peak_rss_bytes == int(1e8) + SAMPLES_PER_ROW + 2
