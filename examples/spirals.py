"""Train a small network of your own and watch it on lossboard.

Two interleaved spirals, made up here (nothing is downloaded), told apart by an MLP; the
training and validation loss, the validation accuracy and the learning rate go to the
server as they happen. Start a server (`lossboard serve`), then:

    python examples/spirals.py            # LOSSBOARD_URL and LOSSBOARD_TOKEN if not local

and open the run's page it prints. Cancel on the page stops the loop cleanly.
"""

from __future__ import annotations

import math

import torch
from torch import nn

import lossboard

config = {"hidden": 64, "lr": 0.01, "steps": 3000, "batch": 128, "seed": 0}


def spirals(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n points on two spirals (label 0 or 1), with a little noise: (n, 2) and (n,)."""
    label = torch.randint(0, 2, (n,), generator=generator)
    radius = torch.rand(n, generator=generator) * 3 * math.pi
    angle = radius + label * math.pi
    x = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1) / 10
    return x + 0.02 * torch.randn(n, 2, generator=generator), label


def main() -> None:
    generator = torch.Generator().manual_seed(config["seed"])
    x_train, y_train = spirals(4000, generator)
    x_val, y_val = spirals(1000, generator)
    model = nn.Sequential(
        nn.Linear(2, config["hidden"]), nn.Tanh(),
        nn.Linear(config["hidden"], config["hidden"]), nn.Tanh(),
        nn.Linear(config["hidden"], 2),
    )  # fmt: skip
    optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"])
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, config["steps"])
    loss_fn = nn.CrossEntropyLoss()

    with lossboard.init(name="spirals MLP", config=config, tags=["example"]) as run:
        print(f"run {run.id}: {run.url}")
        for step in range(config["steps"]):
            batch = torch.randint(0, len(x_train), (config["batch"],), generator=generator)
            loss = loss_fn(model(x_train[batch]), y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            run.log({"train/loss": loss.item(), "lr": schedule.get_last_lr()[0]}, step=step)
            schedule.step()
            if step % 50 == 0:
                with torch.no_grad():
                    logits = model(x_val)
                    accuracy = (logits.argmax(dim=1) == y_val).float().mean().item()
                    run.log({"val/loss": loss_fn(logits, y_val).item(), "val/acc": accuracy},
                            step=step)  # fmt: skip
            if run.should_stop:  # someone pressed Cancel
                print("cancelled from the dashboard")
                break
        print(f"validation accuracy {run.summary['val/acc']:.3f}")


if __name__ == "__main__":
    main()
