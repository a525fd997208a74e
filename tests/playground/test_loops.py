"""The tutorial's two-layer-network loops run in the playground and print what Python prints."""

from __future__ import annotations

import contextlib
import io
import math

import numpy as np
import pytest
import torch

from tests.playground.conftest import run

SETUP = "N, D_in, H, D_out = 64, 1000, 100, 10\nlearning_rate = 1e-6\n"

NUMPY = """np.random.seed(0)
x = np.random.randn(N, D_in)
y = np.random.randn(N, D_out)
w1 = np.random.randn(D_in, H)
w2 = np.random.randn(H, D_out)
for it in range(5):
    h = x.dot(w1) # N * H
    h_relu = np.maximum(h, 0) # N * H
    y_pred = h_relu.dot(w2) # N * D_out
    loss = np.square(y_pred - y).sum()
    print(it, loss)
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.T.dot(grad_y_pred)
    grad_h_relu = grad_y_pred.dot(w2.T)
    grad_h = grad_h_relu.copy()
    grad_h[h<0] = 0
    grad_w1 = x.T.dot(grad_h)
    w1 -= learning_rate * grad_w1
    w2 -= learning_rate * grad_w2
"""

TENSORS = """g = torch.manual_seed(0)
x = torch.randn(N, D_in)
y = torch.randn(N, D_out)
w1 = torch.randn(D_in, H)
w2 = torch.randn(H, D_out)
for it in range(5):
    h = x.mm(w1) # N * H
    h_relu = h.clamp(min=0) # N * H
    y_pred = h_relu.mm(w2) # N * D_out
    loss = (y_pred - y).pow(2).sum().item()
    print(it, loss)
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.t().mm(grad_y_pred)
    grad_h_relu = grad_y_pred.mm(w2.t())
    grad_h = grad_h_relu.clone()
    grad_h[h<0] = 0
    grad_w1 = x.t().mm(grad_h)
    w1 -= learning_rate * grad_w1
    w2 -= learning_rate * grad_w2
"""

AUTOGRAD = """g = torch.manual_seed(0)
x = torch.randn(N, D_in)
y = torch.randn(N, D_out)
w1 = torch.randn(D_in, H, requires_grad=True)
w2 = torch.randn(H, D_out, requires_grad=True)
for it in range(5):
    y_pred = x.mm(w1).clamp(min=0).mm(w2)
    loss = (y_pred - y).pow(2).sum() # computation graph
    print(it, loss.item())
    loss.backward()
    with torch.no_grad():
        w1 -= learning_rate * w1.grad
        w2 -= learning_rate * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()
"""


def losses(stdout: str) -> list[float]:
    """The losses a loop printed as `it loss` lines."""
    return [float(line.split()[1]) for line in stdout.splitlines()]


def python_stdout(code: str) -> str:
    """What CPython itself prints for the same (trusted, test-owned) code."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, {"torch": torch, "np": np})
    return out.getvalue()


@pytest.mark.parametrize("loop", [NUMPY, TENSORS, AUTOGRAD], ids=["numpy", "tensors", "autograd"])
def test_loop_prints_the_losses_python_prints(client, loop):
    code = SETUP + loop
    got, expected = losses(run(client, code)["stdout"]), losses(python_stdout(code))
    assert len(got) == len(expected) == 5
    # Thread counts differ (one in the sandbox), so sums may differ in their last bits.
    assert all(math.isclose(a, b, rel_tol=1e-5) for a, b in zip(got, expected, strict=True))
