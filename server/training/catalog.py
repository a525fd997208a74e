"""What the API tells about each variant: its tutorial heading, devices, defaults and source."""

from __future__ import annotations

import inspect
from functools import cache

from server.training import variants
from server.training.config import (
    OPTIMIZERS,
    VARIANT_IDS,
    default_dtype,
    default_learning_rate,
    default_optimizer,
)
from server.training.devices import variant_kinds

TITLES = {
    "numpy": ("Warm-up: NumPy by hand", "热身: 用numpy实现两层神经网络"),
    "tensors": ("Tensors by hand", "PyTorch: Tensors"),
    "autograd": ("Tensors and autograd", "PyTorch: Tensor和autograd"),
    "nn": ("nn.Sequential", "PyTorch: nn"),
    "optim": ("torch.optim", "PyTorch: optim"),
    "custom_module": ("A custom nn.Module", "PyTorch: 自定义 nn Modules"),
}


def defaults(variant: str) -> dict:
    """The RunCreate values a run of this variant gets when it names none."""
    optimizer = default_optimizer(variant)
    return {
        "device": "auto",
        "iterations": 500,
        "learning_rate": default_learning_rate(variant, optimizer),
        "optimizer": optimizer,
        # per optimizer, for a form that switches between them
        "learning_rates": {o: default_learning_rate(variant, o) for o in OPTIMIZERS}
        if optimizer
        else {},
        "seed": None,
        "N": 64,
        "D_in": 1000,
        "H": 100,
        "D_out": 10,
        "dtype": default_dtype(variant),
    }


def source(variant: str) -> str:
    """The variant's Python source, with the module class it trains where it has one."""
    fn = variants.VARIANTS[variant]
    text = inspect.getsource(fn)
    if variant == "custom_module":
        text = inspect.getsource(variants.TwoLayerNet) + "\n\n" + text
    return text


@cache
def variant_catalog() -> list[dict]:
    """Every variant, in the tutorial's order."""
    return [
        {
            "id": v,
            "title": TITLES[v][0],
            "section": TITLES[v][1],
            "devices": variant_kinds(v),
            "defaults": defaults(v),
            "source": source(v),
        }
        for v in VARIANT_IDS
    ]
