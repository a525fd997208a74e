"""On a CUDA machine, through the HTTP API: the GPU is listed, `auto` picks it, a run finishes."""

from __future__ import annotations

import pytest
import torch

from tests.helpers import TINY, wait_status

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def test_system_lists_each_gpu_with_its_name_and_memory(client):
    system = client.get("/api/system").json()
    assert system["cuda_available"] is True
    gpus = [d for d in system["devices"] if d["kind"] == "cuda"]
    assert [d["id"] for d in gpus] == [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    props = torch.cuda.get_device_properties(0)
    assert gpus[0]["name"] == props.name and gpus[0]["memory_total"] == props.total_memory
    assert system["default_device"] == "cuda:0"


def test_auto_puts_a_torch_run_on_the_gpu_and_numpy_on_the_cpu(client):
    torch_run = client.post(
        "/api/runs", json={"variant": "autograd", "device": "auto", "iterations": 50, **TINY}
    )
    numpy_run = client.post(
        "/api/runs", json={"variant": "numpy", "device": "auto", "iterations": 50, **TINY}
    )
    assert torch_run.status_code == numpy_run.status_code == 201, (torch_run.text, numpy_run.text)
    assert torch_run.json()["device"] == "cuda:0" and numpy_run.json()["device"] == "cpu"
    for run in (torch_run.json(), numpy_run.json()):
        final = wait_status(client, run["id"])
        assert final["status"] == "completed" and final["iteration"] == 50, final
        losses = client.get(f"/api/runs/{run['id']}/losses").json()
        assert len(losses["loss"]) == 50
