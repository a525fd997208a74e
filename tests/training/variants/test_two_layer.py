"""The variants reproduce the tutorial's own code, digit for digit."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from server.training import registry
from server.training.drive import loop_config
from server.training.spec import RunSpec, resolve
from tests.training.variants.tutorial_reference import REFERENCE, optim_loop


def variant_losses(variant: str, seed: int, iterations: int = 50, **spec) -> list[float]:
    cfg = resolve(RunSpec(variant=variant, iterations=iterations, seed=seed, **spec), "cpu")
    readings = registry.variant(variant).loop(loop_config(cfg))
    return [float(r[0] if isinstance(r, tuple) else r) for r in readings]


@pytest.mark.parametrize("seed", [0, 7])
@pytest.mark.parametrize("variant", list(REFERENCE))
def test_variant_reproduces_tutorial_bit_for_bit(variant, seed):
    expected = [float(loss) for loss in REFERENCE[variant](seed, 50)]
    assert variant_losses(variant, seed) == expected


def test_optim_with_adam_reproduces_tutorial_comment():
    expected = optim_loop(3, 50, adam=True)
    assert variant_losses("optim", 3, optimizer="adam") == expected


def test_variant_leaves_global_rng_untouched():
    torch.manual_seed(123)
    np.random.seed(123)
    before = torch.get_rng_state(), np.random.get_state()[1].copy()
    for variant in registry.REGISTRY:
        variant_losses(variant, 5, iterations=2)
    assert torch.equal(torch.get_rng_state(), before[0])
    assert np.array_equal(np.random.get_state()[1], before[1])


def test_variant_loss_falls_over_tutorial_run():
    losses = variant_losses("tensors", 0, iterations=500)
    assert losses[-1] < losses[0] / 1000


def test_variant_float64_starts_from_the_float32_data():
    f32 = variant_losses("tensors", 1, iterations=3)
    f64 = variant_losses("tensors", 1, iterations=3, dtype="float64")
    assert f32 != f64
    assert f64[0] == pytest.approx(f32[0], rel=1e-6)


def test_numpy_seed_past_32_bits_keeps_every_bit():
    big = 2**63 - 1
    losses = variant_losses("numpy", big, iterations=3)
    assert losses == variant_losses("numpy", big, iterations=3)
    assert losses != variant_losses("numpy", big & 0xFFFFFFFF, iterations=3)  # low word alone
    assert losses != variant_losses("numpy", big - 2**32, iterations=3)  # another high word


@pytest.mark.parametrize("variant", ["nn", "custom_module"])
def test_module_variant_float64_starts_from_the_float32_weights(variant):
    f32 = variant_losses(variant, 2, iterations=1)
    f64 = variant_losses(variant, 2, iterations=1, dtype="float64")
    assert f64[0] == pytest.approx(f32[0], rel=1e-5)
