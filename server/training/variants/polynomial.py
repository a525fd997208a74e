"""The current edition's eight loops: a polynomial fitted to sin(x) on [-π, π].

Each follows the official script named in its description, with the loss yielded every
iteration (the script prints every 100th) together with a way to read the parameters that
gave it, and its random draws taken from the run's own generators (see variants.py).
"""

from __future__ import annotations

import math
from collections.abc import Generator

import numpy as np
import torch

from lossboard import variant
from server.training.registry import POLYNOMIAL, LoopConfig, Params, Reading, State
from server.training.variants.hooks import as_tensor, load_weights
from server.training.variants.seeding import numpy_random_state, torch_generator

ABCD = ("a", "b", "c", "d")
AT = "pytorch/tutorials beginner_source/{} at {}"
FIT = {"tutorial": POLYNOMIAL, "knobs": ("points",), "iterations": 2000, "params": ABCD}


@variant(
    id="poly_numpy",
    title="Warm-up: NumPy by hand",
    section="Warm-up: numpy",
    devices=("cpu",),
    dtype="float64",
    fit="cubic",
    description=AT.format(
        "examples_tensor/polynomial_numpy.py", "06782c92ebe7f6bf491fd4e03446a3c17200914c"
    ),
    **FIT,
)  # NumPy computes on the CPU, in float64
def poly_numpy(cfg: LoopConfig) -> Generator[Reading, None, None]:
    """Warm-up: numpy — a third order polynomial, forward and backward by hand."""
    rng, dtype = numpy_random_state(cfg.seed), np.dtype(cfg.dtype)

    # Create random input and output data
    x = np.linspace(-math.pi, math.pi, cfg.points).astype(dtype, copy=False)
    y = np.sin(x)

    # Randomly initialize weights
    a = rng.randn()
    b = rng.randn()
    c = rng.randn()
    d = rng.randn()

    def params() -> dict[str, float]:
        return {"a": float(a), "b": float(b), "c": float(c), "d": float(d)}

    learning_rate = cfg.learning_rate

    def state() -> State:
        return {
            "model": {"a": as_tensor(a), "b": as_tensor(b), "c": as_tensor(c), "d": as_tensor(d)},
            "learning_rate": learning_rate,
            # Python floats until the first update, NumPy scalars after: NumPy 2 promotes
            # the two differently (NEP 50), so a float32 run needs the same kind back
            "python_floats": type(a) is float,
        }

    def load_state(saved: State) -> None:
        nonlocal a, b, c, d, learning_rate
        kept = (saved["model"][k] for k in ABCD)
        a, b, c, d = (v.item() if saved["python_floats"] else v.numpy()[()] for v in kept)
        learning_rate = saved["learning_rate"]

    for t in cfg.steps(state, load_state):  # noqa: B007 - `t` is the step the tutorial prints
        # Forward pass: compute predicted y
        # y = a + b x + c x^2 + d x^3
        y_pred = a + b * x + c * x**2 + d * x**3

        # Compute and print loss
        loss = np.square(y_pred - y).sum()
        yield loss, params

        # Backprop to compute gradients of a, b, c, d with respect to loss
        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x**2).sum()
        grad_d = (grad_y_pred * x**3).sum()

        # Update weights
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d


@variant(
    id="poly_tensors",
    title="Tensors by hand",
    section="PyTorch: Tensors",
    fit="cubic",
    description=AT.format(
        "examples_tensor/polynomial_tensor.py", "088bc52a76551211d2499b1cca69a677eba59236"
    ),
    **FIT,
)
def poly_tensors(cfg: LoopConfig) -> Generator[Reading, None, None]:
    """PyTorch: Tensors — the same fit by hand, on tensors that can live on a GPU."""
    g, dtype, device = torch_generator(cfg.seed), getattr(torch, cfg.dtype), cfg.device

    # Create random input and output data
    x = torch.linspace(-math.pi, math.pi, cfg.points, dtype=dtype).to(device)
    y = torch.sin(x)

    # Randomly initialize weights
    a = torch.randn((), generator=g).to(device, dtype)
    b = torch.randn((), generator=g).to(device, dtype)
    c = torch.randn((), generator=g).to(device, dtype)
    d = torch.randn((), generator=g).to(device, dtype)
    params = reader(a=a, b=b, c=c, d=d)

    learning_rate = cfg.learning_rate

    def state() -> State:
        return {"model": {"a": a, "b": b, "c": c, "d": d}, "learning_rate": learning_rate}

    def load_state(saved: State) -> None:
        nonlocal learning_rate
        load_weights({"a": a, "b": b, "c": c, "d": d}, saved["model"])
        learning_rate = saved["learning_rate"]

    for t in cfg.steps(state, load_state):  # noqa: B007
        # Forward pass: compute predicted y
        y_pred = a + (b * x) + (c * x.pow(2)) + (d * x.pow(3))

        # Compute and print loss
        loss = (y_pred - y).pow(2).sum().item()
        yield loss, params

        # Backprop to compute gradients of a, b, c, d with respect to loss
        grad_y_pred = -2.0 * (y - y_pred)
        grad_a = grad_y_pred.sum()
        grad_b = torch.matmul(input=grad_y_pred, other=x).sum()
        grad_c = torch.matmul(input=grad_y_pred, other=x.pow(2)).sum()
        grad_d = torch.matmul(input=grad_y_pred, other=x.pow(3)).sum()

        # Update weights using gradient descent
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d


@variant(
    id="poly_autograd",
    title="Tensors and autograd",
    section="PyTorch: Tensors and autograd",
    fit="cubic",
    description=AT.format(
        "examples_autograd/polynomial_autograd.py", "92f11a171bb3f3f6bbd8dfb102c59d67c2385032"
    )
    + " (its sin(x) version)",
    **FIT,
)
def poly_autograd(cfg: LoopConfig) -> Generator[Reading, None, None]:
    """PyTorch: Tensors and autograd — autograd computes the backward pass."""
    g, dtype, device = torch_generator(cfg.seed), getattr(torch, cfg.dtype), cfg.device

    # Create Tensors to hold input and outputs.
    x = torch.linspace(-math.pi, math.pi, cfg.points, dtype=dtype).to(device)
    y = torch.sin(x)

    # Create random Tensors for weights. For a third order polynomial, we need
    # 4 weights: y = a + b x + c x^2 + d x^3
    a = torch.randn((), generator=g).to(device, dtype).requires_grad_()
    b = torch.randn((), generator=g).to(device, dtype).requires_grad_()
    c = torch.randn((), generator=g).to(device, dtype).requires_grad_()
    d = torch.randn((), generator=g).to(device, dtype).requires_grad_()
    params = reader(a=a, b=b, c=c, d=d)

    learning_rate = cfg.learning_rate

    def state() -> State:
        weights = {"a": a, "b": b, "c": c, "d": d}
        return {
            "model": {k: w.detach() for k, w in weights.items()},
            "learning_rate": learning_rate,
        }

    def load_state(saved: State) -> None:
        nonlocal learning_rate
        load_weights({"a": a, "b": b, "c": c, "d": d}, saved["model"])
        learning_rate = saved["learning_rate"]

    for t in cfg.steps(state, load_state):  # noqa: B007
        # Forward pass: compute predicted y using operations on Tensors.
        y_pred = a + b * x + c * x**2 + d * x**3

        # Compute and print loss using operations on Tensors.
        loss = (y_pred - y).pow(2).sum()
        yield loss.item(), params

        # Use autograd to compute the backward pass.
        loss.backward()

        # Manually update weights using gradient descent.
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad

            # Manually zero the gradients after updating weights
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None


class LegendrePolynomial3(torch.autograd.Function):
    """
    We can implement our own custom autograd Functions by subclassing
    torch.autograd.Function and implementing the forward and backward passes
    which operate on Tensors.
    """

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input**3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input**2 - 1)


@variant(
    id="poly_function",
    title="A custom autograd Function",
    section="PyTorch: Defining New autograd Functions",
    learning_rate=5e-6,
    fit="legendre",
    shown_with=(LegendrePolynomial3,),
    description=AT.format(
        "examples_autograd/polynomial_custom_function.py",
        "02ed6c5cf613bbf2b631704eee62033b8bd746ef",
    ),
    **FIT,
)
def poly_function(cfg: LoopConfig) -> Generator[Reading, None, None]:
    """PyTorch: Defining New autograd Functions — y = a + b·P3(c + d·x), P3 a Function."""
    dtype, device = getattr(torch, cfg.dtype), cfg.device

    # Create Tensors to hold input and outputs.
    x = torch.linspace(-math.pi, math.pi, cfg.points, dtype=dtype).to(device)
    y = torch.sin(x)

    # Create random Tensors for weights. For this example, we need
    # 4 weights: y = a + b * P3(c + d * x), these weights need to be initialized
    # not too far from the correct result to ensure convergence.
    a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)
    params = reader(a=a, b=b, c=c, d=d)

    learning_rate = cfg.learning_rate

    def state() -> State:
        weights = {"a": a, "b": b, "c": c, "d": d}
        return {
            "model": {k: w.detach() for k, w in weights.items()},
            "learning_rate": learning_rate,
        }

    def load_state(saved: State) -> None:
        nonlocal learning_rate
        load_weights({"a": a, "b": b, "c": c, "d": d}, saved["model"])
        learning_rate = saved["learning_rate"]

    for t in cfg.steps(state, load_state):  # noqa: B007
        # To apply our Function, we use Function.apply method. We alias this as 'P3'.
        P3 = LegendrePolynomial3.apply

        # Forward pass: compute predicted y using operations; we compute
        # P3 using our custom autograd operation.
        y_pred = a + b * P3(c + d * x)

        # Compute and print loss
        loss = (y_pred - y).pow(2).sum()
        yield loss.item(), params

        # Use autograd to compute the backward pass.
        loss.backward()

        # Update weights using gradient descent
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad

            # Manually zero the gradients after updating weights
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None


def reader(**tensors: torch.Tensor) -> Params:
    """Read 0-d tensors' values as floats, by name (they change in place as the loop trains)."""

    def params() -> dict[str, float]:
        return {name: tensor.item() for name, tensor in tensors.items()}

    return params
