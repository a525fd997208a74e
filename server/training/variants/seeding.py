"""The seeded generators every loop draws from: NumPy's and torch's in the states the tutorial's
global seeding gives, and a meta-built model initialised from one of them."""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np
import torch
import torch.nn as nn

M = TypeVar("M", bound=nn.Module)


def numpy_random_state(seed: int) -> np.random.RandomState:
    """The generator `np.random.seed(seed)` would set up; seeds past 32 bits as two words."""
    if seed < 2**32:
        return np.random.RandomState(seed)
    return np.random.RandomState([seed & 0xFFFFFFFF, seed >> 32])


def torch_generator(seed: int) -> torch.Generator:
    """A CPU generator in the state `torch.manual_seed(seed)` puts the global one in."""
    return torch.Generator().manual_seed(seed)


def materialize(model: M, g: torch.Generator) -> M:
    """Allocate a meta-built model on the CPU and give each Linear its default init from g."""
    model = model.to_empty(device="cpu")
    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            # what nn.Linear.reset_parameters draws, in construction order
            torch.nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=g)
            if layer.bias is not None:
                bound = 1 / math.sqrt(layer.in_features)
                torch.nn.init.uniform_(layer.bias, -bound, bound, generator=g)
    return model
