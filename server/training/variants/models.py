"""The lines that load a run's trained model (GET /api/runs/{id}/model) into the tutorial's
own code for its variant, as the run page shows them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SEQUENTIAL = """model = torch.nn.Sequential(
    torch.nn.Linear(D_in, H, bias=False),
    torch.nn.ReLU(),
    torch.nn.Linear(H, D_out, bias=False),
)"""
CUBIC = "model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))"
# how the variants with a torch.nn model build it: state["model"] is its state_dict()
MODELS = {
    "nn": SEQUENTIAL,
    "optim": SEQUENTIAL,
    "custom_module": "model = TwoLayerNet(D_in, H, D_out)  # the class above",
    "dynamic": "model = DynamicNet(D_in, H, D_out, random.Random())  # the class above",
    "poly_nn": CUBIC,
    "poly_optim": CUBIC,
    "poly_module": "model = Polynomial3(torch.Generator())  # the class above",
    "poly_dynamic": "model = DynamicNet(torch.Generator(), random.Random())  # the class above",
}
TWO, FOUR = ("w1", "w2"), ("a", "b", "c", "d")
# the variants by hand: their weights, and how their code holds each (NumPy, a tensor that
# autograd tracks, a tensor, a Python float)
BY_HAND = {
    "numpy": (TWO, ".numpy()"),
    "tensors": (TWO, ""),
    "autograd": (TWO, ".requires_grad_()"),
    "custom_function": (TWO, ".requires_grad_()"),
    "poly_numpy": (FOUR, ".item()"),
    "poly_tensors": (FOUR, ""),
    "poly_autograd": (FOUR, ".requires_grad_()"),
    "poly_function": (FOUR, ".requires_grad_()"),
}


def model_filename(run_id: int) -> str:
    """The name a run's trained model downloads under."""
    return f"run-{run_id}.pt"


def load_snippet(variant_id: str, config: Mapping[str, Any], filename: str) -> str:
    """The lines that load `filename`, the model of a run of `variant_id` with `config` (its
    TrainConfig.as_dict()), into the variant's own model code, with the run's sizes."""
    load = f'torch.load("{filename}", weights_only=True)'
    if variant_id in BY_HAND:
        lines = ["import torch", "", f"w = {load}", *weight_lines(variant_id, config)]
    elif variant_id in MODELS:
        lines = [*model_lines(variant_id, config), f"model.load_state_dict({load})"]
    else:
        raise KeyError(f"no model code for the variant {variant_id!r}")
    return "\n".join(lines) + "\n"


def weight_lines(variant_id: str, config: Mapping[str, Any]) -> list[str]:
    """A variant by hand's weights, each read from the loaded dict `w` as its code holds it."""
    names, held = BY_HAND[variant_id]
    shapes = {"w1": ("D_in", "H"), "w2": ("H", "D_out")}
    return [
        f'{name} = w["{name}"]{held}'
        + (f"  # {config[shapes[name][0]]} × {config[shapes[name][1]]}" if name in shapes else "")
        for name in names
    ]


def model_lines(variant_id: str, config: Mapping[str, Any]) -> list[str]:
    """The imports and lines that build a variant's torch.nn model, as the run built it."""
    build = MODELS[variant_id]
    lines = ["import random", "import torch", ""] if "random." in build else ["import torch", ""]
    if "D_in" in build:
        lines.append(f"D_in, H, D_out = {config['D_in']}, {config['H']}, {config['D_out']}")
    lines.append(build)
    if config["dtype"] != "float32":  # a model is built in float32
        lines.append(f"model = model.to(torch.{config['dtype']})")
    return lines
