"""The tutorial's six training loops, one generator each, yielding the loss where it prints it,
each registered (`@lossboard.variant`) with its tutorial heading, devices and defaults.

Each variant draws its data and weights from its own seeded generators on the CPU, then moves
them to the run's device, so a CPU run reproduces the tutorial's code run after
`torch.manual_seed(seed); np.random.seed(seed)` exactly, and runs never disturb each other.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable

import numpy as np
import torch
import torch.nn as nn

from lossboard import variant
from server.training.registry import LoopConfig, Reading, State
from server.training.variants.hooks import load_weights
from server.training.variants.seeding import materialize, numpy_random_state, torch_generator


@variant(
    id="numpy",
    in_translation=True,
    title="Warm-up: NumPy by hand",
    section="热身: 用numpy实现两层神经网络",
    devices=("cpu",),
    dtype="float64",
)  # NumPy computes on the CPU, in float64
def numpy(cfg: LoopConfig) -> Generator[Reading, None, None]:
    """热身: 用numpy实现两层神经网络 — forward, loss and backward by hand in NumPy."""
    N, D_in, H, D_out = cfg.N, cfg.D_in, cfg.H, cfg.D_out
    random = numpy_random_state(cfg.seed)
    dtype = np.dtype(cfg.dtype)

    # 随机创建一些训练数据
    x = random.randn(N, D_in).astype(dtype, copy=False)
    y = random.randn(N, D_out).astype(dtype, copy=False)

    w1 = random.randn(D_in, H).astype(dtype, copy=False)
    w2 = random.randn(H, D_out).astype(dtype, copy=False)

    learning_rate = cfg.learning_rate

    def state() -> State:  # the arrays go in as tensors, which torch.load(weights_only) reads
        return {
            "model": {"w1": torch.from_numpy(w1), "w2": torch.from_numpy(w2)},
            "learning_rate": learning_rate,
        }

    def load_state(saved: State) -> None:
        nonlocal learning_rate
        np.copyto(w1, saved["model"]["w1"].numpy())
        np.copyto(w2, saved["model"]["w2"].numpy())
        learning_rate = saved["learning_rate"]

    for it in cfg.steps(state, load_state):  # noqa: B007 - `it` is the step the tutorial prints
        # Forward pass
        h = x.dot(w1)  # N * H
        h_relu = np.maximum(h, 0)  # N * H
        y_pred = h_relu.dot(w2)  # N * D_out

        # compute loss
        loss = np.square(y_pred - y).sum()
        yield loss

        # Backward pass
        # compute the gradient
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.T.dot(grad_y_pred)
        grad_h_relu = grad_y_pred.dot(w2.T)
        grad_h = grad_h_relu.copy()
        grad_h[h < 0] = 0
        grad_w1 = x.T.dot(grad_h)

        # update weights of w1 and w2
        w1 -= learning_rate * grad_w1
        w2 -= learning_rate * grad_w2


@variant(id="tensors", in_translation=True, title="Tensors by hand", section="PyTorch: Tensors")
def tensors(cfg: LoopConfig) -> Generator[Reading, None, None]:
    """PyTorch: Tensors — the same network by hand, on tensors that can live on a GPU."""
    N, D_in, H, D_out = cfg.N, cfg.D_in, cfg.H, cfg.D_out
    g, dtype, device = torch_generator(cfg.seed), getattr(torch, cfg.dtype), cfg.device

    # 随机创建一些训练数据
    x = torch.randn(N, D_in, generator=g).to(device, dtype)
    y = torch.randn(N, D_out, generator=g).to(device, dtype)

    w1 = torch.randn(D_in, H, generator=g).to(device, dtype)
    w2 = torch.randn(H, D_out, generator=g).to(device, dtype)

    learning_rate = cfg.learning_rate

    def state() -> State:
        return {"model": {"w1": w1, "w2": w2}, "learning_rate": learning_rate}

    def load_state(saved: State) -> None:
        nonlocal learning_rate
        load_weights({"w1": w1, "w2": w2}, saved["model"])
        learning_rate = saved["learning_rate"]

    for it in cfg.steps(state, load_state):  # noqa: B007
        # Forward pass
        h = x.mm(w1)  # N * H
        h_relu = h.clamp(min=0)  # N * H
        y_pred = h_relu.mm(w2)  # N * D_out

        # compute loss
        loss = (y_pred - y).pow(2).sum().item()
        yield loss

        # Backward pass
        # compute the gradient
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.t().mm(grad_y_pred)
        grad_h_relu = grad_y_pred.mm(w2.t())
        grad_h = grad_h_relu.clone()
        grad_h[h < 0] = 0
        grad_w1 = x.t().mm(grad_h)

        # update weights of w1 and w2
        w1 -= learning_rate * grad_w1
        w2 -= learning_rate * grad_w2


@variant(
    id="autograd",
    in_translation=True,
    title="Tensors and autograd",
    section="PyTorch: Tensor和autograd",
)
def autograd(cfg: LoopConfig) -> Generator[Reading, None, None]:
    """PyTorch: Tensor和autograd — autograd computes the backward pass."""
    N, D_in, H, D_out = cfg.N, cfg.D_in, cfg.H, cfg.D_out
    g, dtype, device = torch_generator(cfg.seed), getattr(torch, cfg.dtype), cfg.device

    # 随机创建一些训练数据
    x = torch.randn(N, D_in, generator=g).to(device, dtype)
    y = torch.randn(N, D_out, generator=g).to(device, dtype)

    w1 = torch.randn(D_in, H, generator=g).to(device, dtype).requires_grad_()
    w2 = torch.randn(H, D_out, generator=g).to(device, dtype).requires_grad_()

    learning_rate = cfg.learning_rate

    def state() -> State:
        return {"model": {"w1": w1.detach(), "w2": w2.detach()}, "learning_rate": learning_rate}

    def load_state(saved: State) -> None:
        nonlocal learning_rate
        load_weights({"w1": w1, "w2": w2}, saved["model"])
        learning_rate = saved["learning_rate"]

    for it in cfg.steps(state, load_state):  # noqa: B007
        # Forward pass
        y_pred = x.mm(w1).clamp(min=0).mm(w2)

        # compute loss
        loss = (y_pred - y).pow(2).sum()  # computation graph
        yield loss.item()

        # Backward pass
        loss.backward()

        # update weights of w1 and w2
        with torch.no_grad():
            w1 -= learning_rate * w1.grad
            w2 -= learning_rate * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()


@variant(id="nn", in_translation=True, title="nn.Sequential", section="PyTorch: nn")
def nn_(cfg: LoopConfig) -> Generator[Reading, None, None]:
    """PyTorch: nn — the network as torch.nn.Sequential, updated by hand."""
    N, D_in, H, D_out = cfg.N, cfg.D_in, cfg.H, cfg.D_out
    g, dtype, device = torch_generator(cfg.seed), getattr(torch, cfg.dtype), cfg.device

    # 随机创建一些训练数据
    x = torch.randn(N, D_in, generator=g).to(device, dtype)
    y = torch.randn(N, D_out, generator=g).to(device, dtype)

    with torch.device("meta"):  # built empty: the weights are drawn from g below
        model = torch.nn.Sequential(
            torch.nn.Linear(D_in, H, bias=False),  # w_1 * x + b_1
            torch.nn.ReLU(),
            torch.nn.Linear(H, D_out, bias=False),
        )
    model = materialize(model, g)

    torch.nn.init.normal_(model[0].weight, generator=g)
    torch.nn.init.normal_(model[2].weight, generator=g)

    model = model.to(device, dtype)

    loss_fn = nn.MSELoss(reduction="sum")

    learning_rate = cfg.learning_rate

    def state() -> State:
        return {"model": model.state_dict(), "learning_rate": learning_rate}

    def load_state(saved: State) -> None:
        nonlocal learning_rate
        load_weights(model.state_dict(), saved["model"])
        learning_rate = saved["learning_rate"]

    for it in cfg.steps(state, load_state):  # noqa: B007
        # Forward pass
        y_pred = model(x)  # model.forward()

        # compute loss
        loss = loss_fn(y_pred, y)  # computation graph
        yield loss.item()

        # Backward pass
        loss.backward()

        # update weights of w1 and w2
        with torch.no_grad():
            for param in model.parameters():  # param (tensor, grad)
                param -= learning_rate * param.grad

        model.zero_grad()


@variant(
    id="optim",
    in_translation=True,
    title="torch.optim",
    section="PyTorch: optim",
    optimizer="sgd",
    learning_rates={"sgd": 1e-6, "adam": 1e-4},
)
def optim(cfg: LoopConfig) -> Generator[Reading, None, None]:
    """PyTorch: optim — torch.optim updates the weights (SGD, or Adam when asked)."""
    N, D_in, H, D_out = cfg.N, cfg.D_in, cfg.H, cfg.D_out
    g, dtype, device = torch_generator(cfg.seed), getattr(torch, cfg.dtype), cfg.device

    # 随机创建一些训练数据
    x = torch.randn(N, D_in, generator=g).to(device, dtype)
    y = torch.randn(N, D_out, generator=g).to(device, dtype)

    with torch.device("meta"):  # built empty: the weights are drawn from g below
        model = torch.nn.Sequential(
            torch.nn.Linear(D_in, H, bias=False),  # w_1 * x + b_1
            torch.nn.ReLU(),
            torch.nn.Linear(H, D_out, bias=False),
        )
    model = materialize(model, g)

    torch.nn.init.normal_(model[0].weight, generator=g)
    torch.nn.init.normal_(model[2].weight, generator=g)

    model = model.to(device, dtype)

    loss_fn = nn.MSELoss(reduction="sum")

    learning_rate = cfg.learning_rate
    optimizer = make_optimizer(cfg.optimizer, model.parameters(), lr=learning_rate)

    def state() -> State:  # what a checkpoint keeps: the step is lossboard's to count
        return {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "learning_rate": optimizer.param_groups[0]["lr"],
        }

    def load_state(saved: State) -> None:
        load_weights(model.state_dict(), saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        optimizer.param_groups[0]["lr"] = saved["learning_rate"]

    for it in cfg.steps(state, load_state):  # noqa: B007
        # Forward pass
        y_pred = model(x)  # model.forward()

        # compute loss
        loss = loss_fn(y_pred, y)  # computation graph
        yield loss.item()

        optimizer.zero_grad()
        # Backward pass
        loss.backward()

        # update model parameters
        optimizer.step()


class TwoLayerNet(torch.nn.Module):
    def __init__(self, D_in, H, D_out):
        super(TwoLayerNet, self).__init__()  # noqa: UP008 - as the tutorial writes it
        # define the model architecture
        self.linear1 = torch.nn.Linear(D_in, H, bias=False)
        self.linear2 = torch.nn.Linear(H, D_out, bias=False)

    def forward(self, x):
        y_pred = self.linear2(self.linear1(x).clamp(min=0))
        return y_pred


@variant(
    id="custom_module",
    in_translation=True,
    title="A custom nn.Module",
    section="PyTorch: 自定义 nn Modules",
    optimizer="adam",
    learning_rates={"sgd": 1e-4, "adam": 1e-4},
    shown_with=(TwoLayerNet,),
)
def custom_module(cfg: LoopConfig) -> Generator[Reading, None, None]:
    """PyTorch: 自定义 nn Modules — the tutorial's TwoLayerNet, trained with Adam."""
    N, D_in, H, D_out = cfg.N, cfg.D_in, cfg.H, cfg.D_out
    g, dtype, device = torch_generator(cfg.seed), getattr(torch, cfg.dtype), cfg.device

    # 随机创建一些训练数据
    x = torch.randn(N, D_in, generator=g).to(device, dtype)
    y = torch.randn(N, D_out, generator=g).to(device, dtype)

    with torch.device("meta"):  # built empty: the weights are drawn from g below
        model = TwoLayerNet(D_in, H, D_out)
    model = materialize(model, g).to(device, dtype)
    loss_fn = nn.MSELoss(reduction="sum")
    learning_rate = cfg.learning_rate
    optimizer = make_optimizer(cfg.optimizer, model.parameters(), lr=learning_rate)

    def state() -> State:
        return {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "learning_rate": optimizer.param_groups[0]["lr"],
        }

    def load_state(saved: State) -> None:
        load_weights(model.state_dict(), saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        optimizer.param_groups[0]["lr"] = saved["learning_rate"]

    for it in cfg.steps(state, load_state):  # noqa: B007
        # Forward pass
        y_pred = model(x)  # model.forward()

        # compute loss
        loss = loss_fn(y_pred, y)  # computation graph
        yield loss.item()

        optimizer.zero_grad()
        # Backward pass
        loss.backward()

        # update model parameters
        optimizer.step()


def make_optimizer(
    name: str | None, params: Iterable[nn.Parameter], lr: float
) -> torch.optim.Optimizer:
    """torch.optim.SGD or torch.optim.Adam, as the tutorial builds them."""
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    return torch.optim.SGD(params, lr=lr)
