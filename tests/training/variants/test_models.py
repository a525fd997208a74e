"""The lines the run page shows load a run's trained model into the tutorial's own code."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from server.training import registry
from server.training.variants.models import load_snippet, model_filename
from tests.training.variants.test_resume_hooks import ITERATIONS, config, run, two_layer_data

VARIANTS = [v.id for v in registry.variants()]


def exec_snippet(variant: str, dtype: str, tmp_path, monkeypatch) -> tuple[Any, ...]:
    """Run `variant`, write its state["model"] at the last yield as the download does, and
    run its snippet where the file is, beside the classes its run page shows: the run's
    config, that model, its last loss, and the names the snippet defined."""
    cfg = config(variant, dtype)
    readings, saved = run(cfg, pause=ITERATIONS - 1)
    assert saved is not None
    torch.save(saved["model"], tmp_path / model_filename(7))
    monkeypatch.chdir(tmp_path)
    namespace = {cls.__name__: cls for cls in registry.variant(variant).shown_with}
    exec(load_snippet(variant, cfg.as_dict(), model_filename(7)), namespace)
    last = readings[-1][0] if isinstance(readings[-1], tuple) else readings[-1]
    return cfg, saved["model"], last, namespace


def tensor(value: Any) -> torch.Tensor:
    """A loaded weight as a tensor, from the tensor, array or float a snippet holds it in."""
    return (
        value.detach() if isinstance(value, torch.Tensor) else torch.from_numpy(np.asarray(value))
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_snippet_loads_the_runs_model(variant, dtype, tmp_path, monkeypatch):
    _, model, _, namespace = exec_snippet(variant, dtype, tmp_path, monkeypatch)
    if "model" in namespace:
        loaded = namespace["model"].state_dict()
    else:  # by hand: each weight under its own name, as an array, a tensor or a float
        loaded = {name: tensor(namespace[name]) for name in model}
    assert loaded.keys() == model.keys()
    for name, weight in model.items():
        assert torch.equal(loaded[name].to(weight.dtype), weight), name
        assert loaded[name].dtype == weight.dtype or variant == "poly_numpy", name


@pytest.mark.parametrize("variant", ["autograd", "poly_function"])
def test_snippet_weights_by_autograd_are_tracked(variant, tmp_path, monkeypatch):
    _, model, _, namespace = exec_snippet(variant, "float32", tmp_path, monkeypatch)
    assert all(namespace[name].requires_grad for name in model)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nn_snippet_model_gives_the_runs_last_loss(dtype, tmp_path, monkeypatch):
    cfg, _, last, namespace = exec_snippet("nn", dtype, tmp_path, monkeypatch)
    x, y = two_layer_data(cfg)
    assert torch.nn.MSELoss(reduction="sum")(namespace["model"](x), y).item() == last


def test_numpy_snippet_gives_arrays():
    snippet = load_snippet("numpy", config("numpy").as_dict(), "run-3.pt")
    assert 'torch.load("run-3.pt", weights_only=True)' in snippet
    assert 'w1 = w["w1"].numpy()  # 12 × 6' in snippet


def test_snippet_of_an_unknown_variant_names_it():
    with pytest.raises(KeyError, match="nope"):
        load_snippet("nope", config("nn").as_dict(), "run-1.pt")
