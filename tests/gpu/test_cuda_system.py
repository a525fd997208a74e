"""On a CUDA machine: NVML read for real, a CUDA run's system series and peak, its OOM error."""

from __future__ import annotations

import pytest
import torch

from server.system.nvml import Nvml
from server.system.sampler import SystemSampler, cuda_names
from server.training.caps import Caps
from server.training.executors import LocalExecutor
from server.training.spec import RunSpec
from tests.helpers import app_client, wait_finished, wait_for

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]
SIDE = 8192  # x alone is 256 MiB in float32


@pytest.fixture
def sampler():
    sampler = SystemSampler(0.2)
    sampler.start()
    yield sampler
    sampler.close()


def test_nvml_reads_every_gpu_torch_sees():
    nvml = Nvml()
    try:
        readings = nvml.read()
        names = cuda_names(nvml.uuids)
    finally:
        nvml.close()
    assert sorted(names.values()) == [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    for gpu in readings:
        assert 0 < gpu.memory_used <= gpu.memory_total
        assert gpu.utilization is None or 0 <= gpu.utilization <= 100
        assert gpu.temperature_c is None or 0 < gpu.temperature_c < 120


def test_a_cuda_runs_series_and_peak_come_from_its_device(make_manager, sampler):
    executor = LocalExecutor(workers_per_device=1, sampler=sampler)
    manager = make_manager(executor=executor, caps=Caps(max_run_bytes=2**34))
    spec = RunSpec(variant="tensors", device="cuda", N=SIDE, D_in=SIDE, H=64, iterations=400)
    run = manager.submit(spec)
    final = wait_finished(manager, run.id, timeout=120)
    assert final["status"] == "completed"
    names = {s["name"] for s in manager.reads.series_list(run.id)}
    assert {"system/gpu_util", "system/gpu_mem_bytes", "system/cuda_peak_bytes"} <= names
    assert final["cuda_peak_bytes"] >= SIDE * SIDE * 4  # at least x itself
    assert final["cuda_peak_bytes"] <= torch.cuda.get_device_properties(0).total_memory


def test_out_of_memory_says_what_the_device_had_and_the_run_reached(make_manager):
    manager = make_manager(caps=Caps(max_run_bytes=2**34))
    free, _ = torch.cuda.mem_get_info()
    blocker = torch.empty(free - 256 * 2**20, dtype=torch.uint8, device="cuda")
    try:
        side = 16384  # x needs 1 GiB, over the 256 MiB left
        run = manager.submit(RunSpec(variant="tensors", device="cuda", N=side, D_in=side, H=1))
        final = wait_finished(manager, run.id, timeout=120)
    finally:
        del blocker
        torch.cuda.empty_cache()
    assert final["status"] == "failed"
    assert final["error"].startswith("out of memory on cuda:0: the device has "), final
    assert "GiB free now; this process's allocations reached " in final["error"]


def test_system_gives_each_gpus_utilisation_and_memory_in_use(tmp_path):
    with app_client(tmp_path, system_every_s=0.2) as client:

        def sampled_gpus() -> list[dict]:
            devices = client.get("/api/system").json()["devices"]
            return [d for d in devices if d["kind"] == "cuda" and d["utilization"] is not None]

        gpus = wait_for(sampled_gpus)
        assert all(0 < d["memory_used"] <= d["memory_total"] for d in gpus)
        assert 'lossboard_device_utilization{device="cuda:0"}' in client.get("/metrics").text
