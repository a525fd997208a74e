"""Every built-in loop checkpoints through its state() and load_state() hooks: a run resumed
from a checkpoint, or changed at a step boundary, goes on exactly as an unbroken run would."""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from server.training import registry
from server.training.drive import loop_config
from server.training.registry import Saved, State
from server.training.spec import RunSpec, TrainConfig, resolve
from server.training.variants.polynomial_nn import Polynomial3
from server.training.variants.seeding import numpy_random_state, torch_generator
from server.training.variants.two_layer import TwoLayerNet

ITERATIONS = 24
PAUSES = (0, ITERATIONS // 2, ITERATIONS - 1)  # the first step, one in the middle, the last
SMALL = {"N": 8, "D_in": 12, "H": 6, "D_out": 3}
POINTS = 40
VARIANTS = [v.id for v in registry.variants()]
# the learning rate a change at a step boundary sets, as a multiple of the run's
FASTER = 3.0
Change = Callable[[State], None]


def config(variant: str, dtype: str = "float64", seed: int = 5, **more: Any) -> TrainConfig:
    """A small run of `variant` on the CPU."""
    knobs = registry.variant(variant).knobs
    sizes = {"points": POINTS} if "points" in knobs else SMALL
    spec = RunSpec(variant=variant, iterations=ITERATIONS, seed=seed, dtype=dtype, **sizes, **more)
    return resolve(spec, "cpu")


def read(reading: registry.Reading) -> Any:
    """A loss as a float, and for a fit the parameters that gave it."""
    if isinstance(reading, tuple):
        return float(reading[0]), reading[1]()
    return float(reading)


def run(
    cfg: TrainConfig,
    resume: Saved | None = None,
    pause: int | None = None,
    change: tuple[int, Change] | None = None,
) -> tuple[list[Any], State | None]:
    """The readings of a run from its start (or `resume`) to its end, or to its yield of step
    `pause`, with the checkpoint taken there; `change` is applied as lossboard does, through
    state() and load_state(), at its step."""
    loop_cfg = loop_config(cfg, resume)
    loop = registry.variant(cfg.variant).loop(loop_cfg)
    readings: list[Any] = []
    try:
        for reading in loop:
            step = loop_cfg.start + len(readings)
            readings.append(read(reading))
            assert loop_cfg.state is not None and loop_cfg.load_state is not None
            if step == pause:
                return readings, checkpoint(loop_cfg.state())
            if change is not None and step == change[0]:
                live = loop_cfg.state()
                change[1](live)
                loop_cfg.load_state(live)
    finally:
        loop.close()
    return readings, None


def checkpoint(state: State) -> State:
    """The state as a checkpoint file gives it back: through torch.save and a safe load."""
    plain(state)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


def plain(value: Any) -> None:
    """Fail on anything but tensors, Python numbers, strings, None, and containers of them."""
    if isinstance(value, dict):
        for key, item in value.items():
            plain(key)
            plain(item)
    elif isinstance(value, list | tuple):
        for item in value:
            plain(item)
    else:
        allowed = type(value) in (int, float, bool, str, type(None))
        assert allowed or isinstance(value, torch.Tensor), f"{type(value).__name__} in a checkpoint"


def faster(state: State) -> None:
    state["learning_rate"] *= FASTER


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_resumed_run_equals_unbroken_run_bit_for_bit(variant, dtype):
    cfg = config(variant, dtype)
    whole, _ = run(cfg)
    assert len(whole) == ITERATIONS and len(set(map(str, whole))) > 1  # it trains
    for pause in PAUSES:
        before, saved = run(cfg, pause=pause)
        assert saved is not None
        after, _ = run(cfg, Saved(pause, saved))
        assert before[:pause] + after == whole, f"resumed at step {pause}"


@pytest.mark.parametrize(("variant", "optimizer"), [("optim", "adam"), ("custom_module", "sgd")])
def test_resumed_run_with_the_other_optimizer_equals_unbroken_run(variant, optimizer):
    cfg = config(variant, "float32", optimizer=optimizer)
    whole, _ = run(cfg)
    before, saved = run(cfg, pause=ITERATIONS // 2)
    assert saved is not None
    assert bool(saved["optimizer"]["state"]) == (optimizer == "adam")  # its moments; SGD: none
    assert before[:-1] + run(cfg, Saved(ITERATIONS // 2, saved))[0] == whole


@pytest.mark.parametrize("variant", VARIANTS)
def test_live_state_loaded_back_unchanged_leaves_the_run_as_it_was(variant):
    cfg = config(variant, "float32")
    assert run(cfg, change=(ITERATIONS // 2, lambda state: None))[0] == run(cfg)[0]


@pytest.mark.parametrize("variant", VARIANTS)
def test_checkpoint_holds_only_what_a_safe_load_reads(variant):
    _, saved = run(config(variant, "float32"), pause=3)
    assert saved is not None
    plain(saved)
    assert type(saved["learning_rate"]) is float


@pytest.mark.parametrize("variant", VARIANTS)
def test_learning_rate_change_at_a_step_boundary_equals_resume_with_it(variant):
    cfg, step = config(variant), ITERATIONS // 3
    changed, _ = run(cfg, change=(step, faster))
    unchanged, _ = run(cfg)
    assert changed == run(cfg, change=(step, faster))[0]  # the same every time
    assert changed[: step + 1] == unchanged[: step + 1]  # step's loss came before the change
    assert changed[step + 1] != unchanged[step + 1]
    _, saved = run(cfg, pause=step)
    assert saved is not None
    faster(saved)
    resumed, _ = run(cfg, Saved(step, saved))
    assert unchanged[:step] + resumed == changed


@pytest.mark.parametrize("variant", ["dynamic", "poly_dynamic"])
def test_momentum_change_at_a_step_boundary_equals_resume_with_it(variant):
    cfg, step = config(variant), ITERATIONS // 3

    def slower(state: State) -> None:
        state["momentum"] = 0.5

    changed, _ = run(cfg, change=(step, slower))
    assert changed[step + 1] != run(cfg)[0][step + 1]
    before, saved = run(cfg, pause=step)
    assert saved is not None and saved["momentum"] == 0.9
    slower(saved)
    assert before[:step] + run(cfg, Saved(step, saved))[0] == changed


@pytest.mark.parametrize("variant", ["dynamic", "poly_dynamic"])
def test_dynamic_checkpoint_keeps_the_generator_as_the_step_found_it(variant):
    cfg = config(variant)
    _, first = run(cfg, pause=0)
    _, second = run(cfg, pause=1)
    assert first is not None and second is not None
    assert first["random"] == random.Random(cfg.seed).getstate()  # nothing drawn yet
    assert second["random"] != first["random"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_poly_numpy_checkpoint_keeps_python_floats_until_the_first_update(dtype):
    _, at_start = run(config("poly_numpy", dtype), pause=0)
    _, later = run(config("poly_numpy", dtype), pause=1)
    assert at_start is not None and later is not None
    assert at_start["python_floats"] and not later["python_floats"]
    assert at_start["model"]["a"].dtype == torch.float64  # a Python float's every bit
    assert later["model"]["a"].dtype == getattr(torch, dtype)


def last_model(variant: str, tmp_path, dtype: str = "float64") -> tuple[TrainConfig, float, Any]:
    """A run's last loss and its state["model"] at that yield, through a file on disk."""
    cfg = config(variant, dtype)
    readings, saved = run(cfg, pause=ITERATIONS - 1)
    assert saved is not None
    torch.save(saved["model"], tmp_path / "run-7.pt")
    last = readings[-1][0] if isinstance(readings[-1], tuple) else readings[-1]
    return cfg, last, torch.load(tmp_path / "run-7.pt", weights_only=True)


def two_layer_data(cfg: TrainConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """x and y as the torch loops draw them from the run's seed."""
    g, dtype = torch_generator(cfg.seed), getattr(torch, cfg.dtype)
    x = torch.randn(cfg.N, cfg.D_in, generator=g).to(dtype)
    y = torch.randn(cfg.N, cfg.D_out, generator=g).to(dtype)
    return x, y


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_numpy_model_gives_the_runs_last_loss(tmp_path, dtype):
    cfg, last, model = last_model("numpy", tmp_path, dtype)
    rng, npdtype = numpy_random_state(cfg.seed), np.dtype(dtype)
    x = rng.randn(cfg.N, cfg.D_in).astype(npdtype, copy=False)
    y = rng.randn(cfg.N, cfg.D_out).astype(npdtype, copy=False)
    w1, w2 = model["w1"].numpy(), model["w2"].numpy()
    y_pred = np.maximum(x.dot(w1), 0).dot(w2)
    assert float(np.square(y_pred - y).sum()) == last


def test_nn_model_loads_into_the_tutorials_sequential(tmp_path):
    cfg, last, state_dict = last_model("nn", tmp_path)
    model = torch.nn.Sequential(
        torch.nn.Linear(cfg.D_in, cfg.H, bias=False),
        torch.nn.ReLU(),
        torch.nn.Linear(cfg.H, cfg.D_out, bias=False),
    ).to(torch.float64)
    model.load_state_dict(state_dict)
    x, y = two_layer_data(cfg)
    assert torch.nn.MSELoss(reduction="sum")(model(x), y).item() == last


def test_custom_module_model_loads_into_two_layer_net(tmp_path):
    cfg, last, state_dict = last_model("custom_module", tmp_path)
    model = TwoLayerNet(cfg.D_in, cfg.H, cfg.D_out).to(torch.float64)
    model.load_state_dict(state_dict)
    x, y = two_layer_data(cfg)
    assert torch.nn.MSELoss(reduction="sum")(model(x), y).item() == last


def test_poly_module_model_loads_into_polynomial3(tmp_path):
    _, last, state_dict = last_model("poly_module", tmp_path)
    model = Polynomial3(torch.Generator()).to(torch.float64)
    model.load_state_dict(state_dict)
    x = torch.linspace(-math.pi, math.pi, POINTS, dtype=torch.float64)
    assert torch.nn.MSELoss(reduction="sum")(model(x), torch.sin(x)).item() == last


@pytest.mark.parametrize("variant", ["numpy", "tensors", "autograd", "custom_function"])
def test_model_by_hand_is_w1_and_w2(tmp_path, variant):
    cfg, _, model = last_model(variant, tmp_path)
    assert set(model) == {"w1", "w2"}
    assert model["w1"].shape == (cfg.D_in, cfg.H) and model["w2"].shape == (cfg.H, cfg.D_out)


@pytest.mark.parametrize(
    "variant", ["poly_numpy", "poly_tensors", "poly_autograd", "poly_function"]
)
def test_fit_by_hand_model_is_its_parameters_at_the_last_loss(tmp_path, variant):
    cfg = config(variant)
    readings, saved = run(cfg, pause=ITERATIONS - 1)
    assert saved is not None
    model = saved["model"]
    assert {k: v.shape for k, v in model.items()} == dict.fromkeys("abcd", ())
    assert {k: v.item() for k, v in model.items()} == readings[-1][1]
