"""An example lossboard variant: a small MLP learns to tell two interleaved spirals apart.

The data is drawn from the run's seed (no download). Each step yields the loss and the
accuracy, which lossboard records as two series. It offers `state()` and `load_state()` through
`config.steps(...)`, so checkpoints, pause and resume cover it.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any, Literal

import torch
from pydantic import BaseModel, Field

import lossboard


class SpiralFields(BaseModel):
    """What a run of `spirals` may set; lossboard's form, sweeps and CLI read these."""

    hidden: int = Field(32, ge=2, le=1024, description="units in each of the two hidden layers")
    lr: float = Field(0.05, gt=0, le=10, description="the SGD step size")
    activation: Literal["tanh", "relu"] = Field("tanh", description="between the layers")
    full_batch: bool = Field(True, description="every point each step, or batches of 64")
    samples: int = Field(400, ge=8, le=100_000, description="points on the two spirals")


def spirals(samples: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaved spirals with a little noise: x (samples, 2), labels y (samples,)."""
    half = samples // 2
    t = torch.rand(half, generator=g) * 3 * math.pi + 0.5
    arm = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1) / (3 * math.pi)
    x = torch.cat([arm, -arm]) + 0.02 * torch.randn(2 * half, 2, generator=g)
    y = torch.cat([torch.zeros(half), torch.ones(half)]).long()
    return x, y


@lossboard.variant(
    id="spirals",
    title="An MLP on two spirals",
    fields=SpiralFields,
    devices=("cpu", "cuda"),
    iterations=300,
    hyper=("lr",),  # what PATCH /api/runs/{id}/hyper may change while it runs
    description="examples/lossboard-spirals: the example plugin package",
)
def spirals_mlp(config: Any) -> Generator[dict[str, float], None, None]:
    """Train a two-hidden-layer MLP with SGD; yield the loss and accuracy each step."""
    f: SpiralFields = config.fields
    g = torch.Generator().manual_seed(config.seed)
    x, y = spirals(f.samples, g)
    act = torch.nn.Tanh if f.activation == "tanh" else torch.nn.ReLU
    model = torch.nn.Sequential(
        torch.nn.Linear(2, f.hidden), act(), torch.nn.Linear(f.hidden, f.hidden), act(),
        torch.nn.Linear(f.hidden, 2),
    )  # fmt: skip
    with torch.no_grad():  # weights from the run's own generator, not the global one
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * (1 / math.sqrt(p.shape[-1])))
    model.to(config.device)
    x, y = x.to(config.device), y.to(config.device)
    optimizer = torch.optim.SGD(model.parameters(), lr=f.lr, momentum=0.9)
    drawn = g.get_state()  # the generator as it was before this step drew its batch

    def state() -> dict[str, Any]:
        return {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "g": drawn,
                "lr": optimizer.param_groups[0]["lr"]}  # fmt: skip

    def load_state(saved: dict[str, Any]) -> None:
        # A live change of lr hands back the state as it is: write only what differs (autograd
        # counts in-place writes to weights that the coming backward pass reads).
        nonlocal drawn
        with torch.no_grad():
            for name, weight in model.state_dict().items():
                kept = saved["model"][name].to(weight.device)
                if not torch.equal(weight, kept):
                    weight.copy_(kept)
        optimizer.load_state_dict(saved["optimizer"])
        optimizer.param_groups[0]["lr"] = saved["lr"]
        if not torch.equal(saved["g"], drawn):  # a checkpoint's: this step draws again
            drawn = saved["g"]
            g.set_state(drawn)

    for _ in config.steps(state, load_state):
        drawn = g.get_state()
        pick = slice(None) if f.full_batch else torch.randint(len(y), (64,), generator=g)
        logits = model(x[pick])
        loss = torch.nn.functional.cross_entropy(logits, y[pick])
        accuracy = (logits.argmax(1) == y[pick]).float().mean()
        yield {"loss": loss.item(), "accuracy": accuracy.item()}
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
