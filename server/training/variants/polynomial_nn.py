"""The current edition's polynomial fits with torch.nn: Sequential, optim, a Module, and the
dynamic net whose x⁴ and x⁵ terms share one weight (see polynomial.py)."""

from __future__ import annotations

import math
import random
from collections.abc import Generator

import torch

from lossboard import variant
from server.training.registry import LoopConfig, Params, Reading, State
from server.training.variants.hooks import load_weights
from server.training.variants.polynomial import AT, FIT
from server.training.variants.seeding import materialize, torch_generator


@variant(
    id="poly_nn",
    title="nn.Sequential",
    section="PyTorch: nn",
    fit="cubic",
    description=AT.format(
        "examples_nn/polynomial_nn.py", "02d7694195db7543ff85fd72177d1f1adca7784a"
    ),
    **FIT,
)
def poly_nn(cfg: LoopConfig) -> Generator[Reading, None, None]:
    """PyTorch: nn — the cubic as a Linear layer on (x, x², x³), updated by hand."""
    g, dtype, device = torch_generator(cfg.seed), getattr(torch, cfg.dtype), cfg.device

    # Create Tensors to hold input and outputs.
    x = torch.linspace(-math.pi, math.pi, cfg.points, dtype=dtype).to(device)
    y = torch.sin(x)

    # Let's prepare the tensor (x, x^2, x^3).
    p = torch.tensor([1, 2, 3], device=device)
    xx = x.unsqueeze(-1).pow(p)

    with torch.device("meta"):  # built empty: the weights are drawn from g below
        model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    model = materialize(model, g).to(device, dtype)
    params = linear_reader(model[0])

    loss_fn = torch.nn.MSELoss(reduction="sum")

    learning_rate = cfg.learning_rate

    def state() -> State:
        return {"model": model.state_dict(), "learning_rate": learning_rate}

    def load_state(saved: State) -> None:
        nonlocal learning_rate
        load_weights(model.state_dict(), saved["model"])
        learning_rate = saved["learning_rate"]

    for t in cfg.steps(state, load_state):  # noqa: B007 - `t` is the step the tutorial prints
        # Forward pass: compute predicted y by passing x to the model.
        y_pred = model(xx)

        # Compute and print loss.
        loss = loss_fn(y_pred, y)
        yield loss.item(), params

        # Zero the gradients before running the backward pass.
        model.zero_grad()

        # Backward pass: compute gradient of the loss with respect to all the learnable
        # parameters of the model.
        loss.backward()

        # Update the weights using gradient descent.
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad


@variant(
    id="poly_optim",
    title="torch.optim (RMSprop)",
    section="PyTorch: optim",
    learning_rate=1e-3,
    fit="cubic",
    description=AT.format(
        "examples_nn/polynomial_optim.py", "96efa19f4e1be1b64c5474c1f3ae18a47d98aa90"
    )
    + " (RMSprop, learning rate 1e-3)",
    **FIT,
)
def poly_optim(cfg: LoopConfig) -> Generator[Reading, None, None]:
    """PyTorch: optim — torch.optim.RMSprop updates the weights."""
    g, dtype, device = torch_generator(cfg.seed), getattr(torch, cfg.dtype), cfg.device

    # Create Tensors to hold input and outputs.
    x = torch.linspace(-math.pi, math.pi, cfg.points, dtype=dtype).to(device)
    y = torch.sin(x)

    # Prepare the input tensor (x, x^2, x^3).
    p = torch.tensor([1, 2, 3], device=device)
    xx = x.unsqueeze(-1).pow(p)

    # Use the nn package to define our model and loss function.
    with torch.device("meta"):  # built empty: the weights are drawn from g below
        model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    model = materialize(model, g).to(device, dtype)
    params = linear_reader(model[0])
    loss_fn = torch.nn.MSELoss(reduction="sum")

    # Use the optim package to define an Optimizer that will update the weights of
    # the model for us. Here we will use RMSprop.
    learning_rate = cfg.learning_rate
    optimizer = torch.optim.RMSprop(model.parameters(), lr=learning_rate)

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

    for t in cfg.steps(state, load_state):  # noqa: B007
        # Forward pass: compute predicted y by passing x to the model.
        y_pred = model(xx)

        # Compute and print loss.
        loss = loss_fn(y_pred, y)
        yield loss.item(), params

        # Zero the gradients, perform a backward pass, and update the weights.
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


class Polynomial3(torch.nn.Module):
    def __init__(self, g):
        """
        In the constructor we instantiate four parameters and assign them as
        member parameters (drawn from the run's generator g).
        """
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn((), generator=g))
        self.b = torch.nn.Parameter(torch.randn((), generator=g))
        self.c = torch.nn.Parameter(torch.randn((), generator=g))
        self.d = torch.nn.Parameter(torch.randn((), generator=g))

    def forward(self, x):
        return self.a + self.b * x + self.c * x**2 + self.d * x**3

    def string(self):
        return (
            f"y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + {self.d.item()} x^3"
        )


@variant(
    id="poly_module",
    title="A custom nn.Module",
    section="PyTorch: Custom nn Modules",
    fit="cubic",
    shown_with=(Polynomial3,),
    description=AT.format(
        "examples_nn/polynomial_module.py", "1d189709801e98f5f184af0567c7f06b8b5156c2"
    ),
    **FIT,
)
def poly_module(cfg: LoopConfig) -> Generator[Reading, None, None]:
    """PyTorch: Custom nn Modules — the tutorial's Polynomial3, trained with SGD."""
    g, dtype, device = torch_generator(cfg.seed), getattr(torch, cfg.dtype), cfg.device

    # Create Tensors to hold input and outputs.
    x = torch.linspace(-math.pi, math.pi, cfg.points, dtype=dtype).to(device)
    y = torch.sin(x)

    # Construct our model by instantiating the class defined above
    model = Polynomial3(g).to(device, dtype)
    params = module_reader(model)

    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.learning_rate)

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

    for t in cfg.steps(state, load_state):  # noqa: B007
        # Forward pass: Compute predicted y by passing x to the model
        y_pred = model(x)

        # Compute and print loss
        loss = criterion(y_pred, y)
        yield loss.item(), params

        # Zero gradients, perform a backward pass, and update the weights.
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


class DynamicNet(torch.nn.Module):
    def __init__(self, g, rng):
        """
        In the constructor we instantiate five parameters and assign them as members
        (drawn from the run's generator g); `rng` is the run's own random.Random.
        """
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn((), generator=g))
        self.b = torch.nn.Parameter(torch.randn((), generator=g))
        self.c = torch.nn.Parameter(torch.randn((), generator=g))
        self.d = torch.nn.Parameter(torch.randn((), generator=g))
        self.e = torch.nn.Parameter(torch.randn((), generator=g))
        self.random = rng

    def forward(self, x):
        """
        For the forward pass of the model, we randomly choose either 4, 5
        and reuse the e parameter to compute the contribution of these orders.
        """
        y = self.a + self.b * x + self.c * x**2 + self.d * x**3
        for exp in range(4, self.random.randint(4, 6)):
            y = y + self.e * x**exp
        return y


@variant(
    id="poly_dynamic",
    hyper=("learning_rate", "momentum"),
    title="Control flow and weight sharing",
    section="PyTorch: Control Flow + Weight Sharing",
    learning_rate=1e-8,
    fit="quintic",
    shown_with=(DynamicNet,),
    description=AT.format("examples_nn/dynamic_net.py", "1d189709801e98f5f184af0567c7f06b8b5156c2"),
    **{**FIT, "iterations": 30_000, "params": ("a", "b", "c", "d", "e")},
)
def poly_dynamic(cfg: LoopConfig) -> Generator[Reading, None, None]:
    """PyTorch: Control Flow + Weight Sharing — e reused for x⁴ and x⁵, drawn each pass."""
    g, dtype, device = torch_generator(cfg.seed), getattr(torch, cfg.dtype), cfg.device

    # Create Tensors to hold input and outputs.
    x = torch.linspace(-math.pi, math.pi, cfg.points, dtype=dtype).to(device)
    y = torch.sin(x)

    # Construct our model by instantiating the class defined above
    model = DynamicNet(g, random.Random(cfg.seed)).to(device, dtype)
    params = module_reader(model)

    # Construct our loss function and an Optimizer. Training this strange model with
    # vanilla stochastic gradient descent is tough, so we use momentum
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.learning_rate, momentum=0.9)
    drawn = model.random.getstate()  # as the step being computed found it

    def state() -> State:
        return {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "learning_rate": optimizer.param_groups[0]["lr"],
            "momentum": optimizer.param_groups[0]["momentum"],
            "random": drawn,
        }

    def load_state(saved: State) -> None:
        load_weights(model.state_dict(), saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        optimizer.param_groups[0]["lr"] = saved["learning_rate"]
        optimizer.param_groups[0]["momentum"] = saved["momentum"]
        if saved["random"] != drawn:  # a checkpoint's: this step's own has been drawn from
            model.random.setstate(saved["random"])

    for t in cfg.steps(state, load_state):  # noqa: B007
        drawn = model.random.getstate()  # before the forward pass draws from it
        # Forward pass: Compute predicted y by passing x to the model
        y_pred = model(x)

        # Compute and print loss
        loss = criterion(y_pred, y)
        yield loss.item(), params

        # Zero gradients, perform a backward pass, and update the weights.
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def linear_reader(linear: torch.nn.Linear) -> Params:
    """a, b, c, d of `y = a + b x + c x^2 + d x^3` from a Linear(3, 1): its bias and weights."""

    def params() -> dict[str, float]:
        b, c, d = linear.weight[0].tolist()
        return {"a": linear.bias.item(), "b": b, "c": c, "d": d}

    return params


def module_reader(model: torch.nn.Module) -> Params:
    """A module's 0-d parameters as floats, by name."""

    def params() -> dict[str, float]:
        return {name: p.item() for name, p in model.named_parameters()}

    return params
