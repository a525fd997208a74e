"""The two sections of the English two-layer-network edition that the translation skips.

Same sizes and data as the six; each follows the official script named in its description,
with its random draws taken from the run's own generators (see variants.py).
"""

from __future__ import annotations

import random
from collections.abc import Generator

import torch

from lossboard import variant
from server.training.registry import LoopConfig, Reading, State
from server.training.variants.hooks import load_weights
from server.training.variants.seeding import materialize, torch_generator

TUTORIALS = "pytorch/tutorials"


class MyReLU(torch.autograd.Function):
    """
    We can implement our own custom autograd Functions by subclassing
    torch.autograd.Function and implementing the forward and backward passes
    which operate on Tensors.
    """

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


@variant(
    id="custom_function",
    title="A custom autograd Function",
    section="PyTorch: Defining new autograd functions",
    shown_with=(MyReLU,),
    description=f"{TUTORIALS} beginner_source/examples_autograd/two_layer_net_custom_function.py"
    " at 4ba126213d3cfa9e10ecde3faaf3d93e9d9d02c1",
)
def custom_function(cfg: LoopConfig) -> Generator[Reading, None, None]:
    """PyTorch: Defining new autograd functions — ReLU as a torch.autograd.Function."""
    N, D_in, H, D_out = cfg.N, cfg.D_in, cfg.H, cfg.D_out
    g, dtype, device = torch_generator(cfg.seed), getattr(torch, cfg.dtype), cfg.device

    # Create random Tensors to hold input and outputs.
    x = torch.randn(N, D_in, generator=g).to(device, dtype)
    y = torch.randn(N, D_out, generator=g).to(device, dtype)

    # Create random Tensors for weights.
    w1 = torch.randn(D_in, H, generator=g).to(device, dtype).requires_grad_()
    w2 = torch.randn(H, D_out, generator=g).to(device, dtype).requires_grad_()

    learning_rate = cfg.learning_rate

    def state() -> State:
        return {"model": {"w1": w1.detach(), "w2": w2.detach()}, "learning_rate": learning_rate}

    def load_state(saved: State) -> None:
        nonlocal learning_rate
        load_weights({"w1": w1, "w2": w2}, saved["model"])
        learning_rate = saved["learning_rate"]

    for t in cfg.steps(state, load_state):  # noqa: B007 - `t` is the step the tutorial prints
        # To apply our Function, we use Function.apply method. We alias this as 'relu'.
        relu = MyReLU.apply

        # Forward pass: compute predicted y using operations; we compute
        # ReLU using our custom autograd operation.
        y_pred = relu(x.mm(w1)).mm(w2)

        # Compute and print loss
        loss = (y_pred - y).pow(2).sum()
        yield loss.item()

        # Use autograd to compute the backward pass.
        loss.backward()

        # Update weights using gradient descent
        with torch.no_grad():
            w1 -= learning_rate * w1.grad
            w2 -= learning_rate * w2.grad

            # Manually zero the gradients after updating weights
            w1.grad.zero_()
            w2.grad.zero_()


class DynamicNet(torch.nn.Module):
    def __init__(self, D_in, H, D_out, rng):
        """
        In the constructor we construct three nn.Linear instances that we will use
        in the forward pass; `rng` is the run's own random.Random.
        """
        super().__init__()
        self.input_linear = torch.nn.Linear(D_in, H)
        self.middle_linear = torch.nn.Linear(H, H)
        self.output_linear = torch.nn.Linear(H, D_out)
        self.random = rng

    def forward(self, x):
        """
        For the forward pass of the model, we randomly choose either 0, 1, 2, or 3
        and reuse the middle_linear Module that many times to compute hidden layer
        representations.
        """
        h_relu = self.input_linear(x).clamp(min=0)
        for _ in range(self.random.randint(0, 3)):
            h_relu = self.middle_linear(h_relu).clamp(min=0)
        y_pred = self.output_linear(h_relu)
        return y_pred


@variant(
    id="dynamic",
    hyper=("learning_rate", "momentum"),
    title="Control flow and weight sharing",
    section="PyTorch: Control Flow + Weight Sharing",
    learning_rate=1e-4,
    shown_with=(DynamicNet,),
    description=f"{TUTORIALS} beginner_source/examples_nn/dynamic_net.py at "
    "e13beed18d7cc24f9ed01746a6d03325ce622800 (Variable and size_average=False written as "
    "today's tensors and reduction='sum', which compute the same)",
)
def dynamic(cfg: LoopConfig) -> Generator[Reading, None, None]:
    """PyTorch: Control Flow + Weight Sharing — a middle layer reused 0 to 3 times a pass."""
    N, D_in, H, D_out = cfg.N, cfg.D_in, cfg.H, cfg.D_out
    g, dtype, device = torch_generator(cfg.seed), getattr(torch, cfg.dtype), cfg.device

    # Create random Tensors to hold inputs and outputs
    x = torch.randn(N, D_in, generator=g).to(device, dtype)
    y = torch.randn(N, D_out, generator=g).to(device, dtype)

    # Construct our model by instantiating the class defined above
    with torch.device("meta"):  # built empty: the weights are drawn from g below
        model = DynamicNet(D_in, H, D_out, random.Random(cfg.seed))
    model = materialize(model, g).to(device, dtype)

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
        yield loss.item()

        # Zero gradients, perform a backward pass, and update the weights.
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
