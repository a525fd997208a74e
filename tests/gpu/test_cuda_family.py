"""On a CUDA machine: each of the newer torch variants runs on the GPU, near the CPU's curve."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from server.training.spec import RunSpec
from tests.helpers import wait_finished

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]
NEW_TORCH = ["custom_function", "dynamic", "poly_tensors", "poly_autograd", "poly_function",
             "poly_nn", "poly_optim", "poly_module", "poly_dynamic"]  # fmt: skip


@pytest.mark.parametrize("variant", NEW_TORCH)
def test_cuda_new_variant_matches_cpu_start(make_manager, store, variant):
    manager = make_manager()
    cpu = manager.submit(RunSpec(variant=variant, device="cpu", seed=3, iterations=200))
    gpu = manager.submit(RunSpec(variant=variant, device="cuda", seed=3, iterations=200))
    assert wait_finished(manager, cpu.id)["status"] == "completed"
    final = wait_finished(manager, gpu.id)
    assert final["status"] == "completed" and final["device"] == "cuda:0"
    cpu_loss, gpu_loss = store.read_losses(cpu.id)[1], store.read_losses(gpu.id)[1]
    assert len(gpu_loss) == 200
    assert gpu_loss[0] == pytest.approx(cpu_loss[0], rel=1e-3)
    np.testing.assert_allclose(gpu_loss[:20], cpu_loss[:20], rtol=5e-2)


def test_cuda_fit_streams_params(make_manager, store):
    manager = make_manager()
    run = manager.submit(RunSpec(variant="poly_module", device="cuda", seed=1, iterations=300))
    assert wait_finished(manager, run.id)["status"] == "completed"
    steps = [s for s, _ in store.read_params(run.id)]
    assert steps[0] == 0 and steps[-1] == 299
