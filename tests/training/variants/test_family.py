"""The ten newer variants reproduce the official scripts, digit for digit, and stream the
parameters that gave each loss."""

from __future__ import annotations

import math
import random

import pytest

from server.training import registry
from server.training.drive import drive, loop_config
from server.training.spec import RunSpec, resolve
from tests.training.variants import reference_family, reference_polynn
from tests.training.variants.test_two_layer import variant_losses

NEW = ["custom_function", "dynamic", "poly_numpy", "poly_tensors", "poly_autograd",
       "poly_function", "poly_nn", "poly_optim", "poly_module", "poly_dynamic"]  # fmt: skip


def reference(variant: str, seed: int, iterations: int) -> list[float]:
    module = reference_polynn if hasattr(reference_polynn, f"{variant}_loop") else reference_family
    return [float(loss) for loss in getattr(module, f"{variant}_loop")(seed, iterations)]


@pytest.mark.parametrize("seed", [0, 7])
@pytest.mark.parametrize("variant", NEW)
def test_new_variant_reproduces_official_script_bit_for_bit(variant, seed):
    assert variant_losses(variant, seed) == reference(variant, seed, 50)


@pytest.mark.parametrize("seed", [0, 7])
def test_poly_dynamic_reproduces_official_script_over_2000_iterations(seed):
    assert variant_losses("poly_dynamic", seed, iterations=2000) == reference(
        "poly_dynamic", seed, 2000
    )


@pytest.mark.parametrize("variant", ["dynamic", "poly_dynamic"])
def test_dynamic_variant_leaves_global_random_untouched(variant):
    random.seed(99)
    before = random.getstate()
    variant_losses(variant, 3, iterations=5)
    assert random.getstate() == before


def test_poly_tensors_params_give_its_losses():
    cfg = resolve(RunSpec(variant="poly_tensors", seed=4, iterations=3), "cpu")
    readings = list(registry.variant("poly_tensors").loop(loop_config(cfg)))
    assert [r[0] for r in readings] == reference("poly_tensors", 4, 3)


def test_drive_reads_params_at_first_and_last_step():
    cfg = resolve(RunSpec(variant="poly_module", seed=1, iterations=20), "cpu")
    params = [p for batch in drive(cfg, lambda: None) for p in batch.params]
    steps = [s for s, _ in params]
    assert steps[0] == 0 and steps[-1] == 19
    assert steps == sorted(set(steps))
    assert set(params[0][1]) == {"a", "b", "c", "d"}


def test_drive_reads_params_every_percent_of_a_fast_run():
    cfg = resolve(RunSpec(variant="poly_tensors", seed=1, iterations=2000), "cpu")
    steps = {s for batch in drive(cfg, lambda: None) for s, _ in batch.params}
    assert set(range(0, 2000, 20)) <= steps  # a run of a few ticks stored about 5 before


def test_drive_reads_params_when_stopped():
    cfg = resolve(RunSpec(variant="poly_nn", seed=1, iterations=1000), "cpu")
    batches = list(drive(cfg, lambda: "cancelled"))
    assert [s for b in batches for s, _ in b.params] == [0]


def test_two_layer_variant_streams_no_params():
    cfg = resolve(RunSpec(variant="custom_function", seed=1, iterations=5), "cpu")
    assert [p for batch in drive(cfg, lambda: None) for p in batch.params] == []


def test_poly_tensors_default_run_fits_sin_within_a_quarter():
    cfg = resolve(RunSpec(variant="poly_tensors", seed=0), "cpu")
    params = [p for batch in drive(cfg, lambda: None) for p in batch.params][-1][1]
    a, b, c, d = (params[k] for k in "abcd")
    xs = [-3.14159 + i * 0.01 for i in range(629)]
    worst = max(abs(a + b * x + c * x**2 + d * x**3 - math.sin(x)) for x in xs)
    assert worst < 0.25
