"""What the loops' checkpoint hooks share: weights put back without upsetting autograd."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch


def load_weights(weights: Mapping[str, torch.Tensor], saved: Mapping[str, torch.Tensor]) -> None:
    """Copy `saved` into the loop's own weights, in place, where they differ. A hyperparameter
    change at a step boundary hands back the weights as they are, and writing those would fail
    the backward pass still to come, which reads them (autograd counts in-place writes)."""
    with torch.no_grad():
        for name, weight in weights.items():
            kept = saved[name].to(weight.device)
            if not torch.equal(weight, kept):
                weight.copy_(kept)


def as_tensor(value: float | np.generic) -> torch.Tensor:
    """A Python or NumPy scalar as a 0-d tensor of its own dtype (a Python float's: float64),
    since torch.load(weights_only=True) refuses NumPy's."""
    return torch.from_numpy(np.asarray(value))
