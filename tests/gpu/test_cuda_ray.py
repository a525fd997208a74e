"""On a CUDA machine: a cuda run through a local Ray instance lands on the GPU and gives the
local executor's CUDA curve."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import torch

from server.training.executors.ray_tasks import RayExecutor
from server.training.manager import RunManager
from server.training.spec import RunSpec
from tests.helpers import wait_finished

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


@pytest.fixture
def ray_manager(store) -> Iterator[RunManager]:
    import ray

    ray.init(address="local", num_cpus=2, num_gpus=1, include_dashboard=False, log_to_driver=False)
    manager = RunManager(store, executor=RayExecutor())
    manager.start()
    yield manager
    manager.close()
    ray.shutdown()


def test_ray_cuda_run_lands_on_the_gpu_and_matches_the_local_curve(make_manager, ray_manager):
    spec = RunSpec(variant="nn", device="cuda", seed=3)
    local = make_manager()
    here = wait_finished(local, local.submit(spec).id)
    there = wait_finished(ray_manager, ray_manager.submit(spec).id)
    assert there["status"] == "completed" and there["worker"]["device"].startswith("cuda:")
    assert there["device"] == "cuda" and there["worker"]["executor"] == "ray"
    local_loss = local.losses(here["id"])[1]
    ray_loss = ray_manager.reads.losses(there["id"])[1]
    np.testing.assert_allclose(ray_loss, local_loss, rtol=1e-5)
