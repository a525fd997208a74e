"""/healthz, /api/system and /api/variants."""

from __future__ import annotations

import torch

from tests.training.variants.tutorial_reference import REFERENCE


def test_healthz_answers_ok_with_the_executors_health(client):
    assert client.get("/healthz").json() == {"status": "ok", "executor": "ok"}


def test_system_says_the_local_executor_has_no_cluster(client):
    system = client.get("/api/system").json()
    assert system["executor"] == "local" and system["cluster"] is None
    assert system["queued"] == {"cpu": 0}


def test_system_lists_cpu_and_versions(client):
    system = client.get("/api/system").json()
    assert system["torch"] == torch.__version__
    assert system["cuda_available"] is torch.cuda.is_available()
    assert system["devices"][0]["id"] == "cpu" and system["devices"][0]["kind"] == "cpu"
    assert system["default_device"] in {d["id"] for d in system["devices"]}
    assert {"version", "python", "numpy"} <= system.keys()


def test_variants_follow_the_tutorial_order_and_headings(client):
    variants = client.get("/api/variants").json()
    assert [v["id"] for v in variants][: len(REFERENCE)] == list(REFERENCE)
    by_id = {v["id"]: v for v in variants}
    assert by_id["numpy"]["section"] == "热身: 用numpy实现两层神经网络"
    assert by_id["custom_module"]["section"] == "PyTorch: 自定义 nn Modules"
    assert by_id["numpy"]["devices"] == ["cpu"]
    assert "cuda" in by_id["tensors"]["devices"]
    assert "grad_h[h < 0] = 0" in by_id["numpy"]["source"]
    assert "class TwoLayerNet" in by_id["custom_module"]["source"]
    assert by_id["custom_module"]["defaults"]["learning_rate"] == 1e-4
    assert by_id["optim"]["defaults"]["learning_rates"] == {"sgd": 1e-6, "adam": 1e-4}


def test_openapi_is_served(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/runs" in paths and "/api/runs/{run_id}/losses" in paths
