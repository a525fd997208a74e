"""Switching in one line: a W&B-style script (`import lossboard as wandb`) and a TensorBoard
SummaryWriter-style one store the same series as the native script."""

from __future__ import annotations

import pytest

import lossboard
import lossboard as wandb
from lossboard.tensorboard import SummaryWriter
from tests.client.support import stored

pytestmark = pytest.mark.e2e
STEPS = 300


def loss_at(step: int) -> float:
    return 1.0 / (step + 1)


def native(url: str) -> int:
    with lossboard.init(name="native", config={"lr": 0.1}, tags=["demo"], url=url) as run:
        for step in range(STEPS):
            run.log({"train/loss": loss_at(step)})
            if step % 50 == 0:
                run.log({"val/acc": step / STEPS}, step=step)
    return int(run.id or 0)


def wandb_style(url: str) -> int:
    run = wandb.init(project="demo", name="wandb", config={"lr": 0.1}, url=url)
    assert wandb.config.lr == run.config["lr"] == 0.1
    for step in range(STEPS):
        metrics = {"train/loss": loss_at(step)}
        if step % 50 == 0:
            metrics["val/acc"] = step / STEPS
        wandb.log(metrics, step=step)
    assert wandb.summary["train/loss"] == run.summary["train/loss"] == loss_at(STEPS - 1)
    wandb.finish()
    return int(run.id or 0)


def tensorboard_style(url: str) -> int:
    writer = SummaryWriter("runs/tensorboard", url=url, config={"lr": 0.1}, tags=["demo"])
    for step in range(STEPS):
        writer.add_scalar("train/loss", loss_at(step), step)
        if step % 50 == 0:
            writer.add_scalars("val", {"acc": step / STEPS}, step)
    writer.flush()
    writer.close()
    return int(writer.run.id or 0)


@pytest.mark.parametrize("script", [wandb_style, tensorboard_style])
def test_compatible_script_stores_what_the_native_one_does(server, script):
    expected, got = native(server.url), script(server.url)
    for name in ("train/loss", "val/acc"):
        assert stored(server, got, name) == stored(server, expected, name)
    run = server.get(f"/api/runs/{got}").json()
    assert (run["status"], run["config"], run["tags"]) == ("completed", {"lr": 0.1}, ["demo"])


def test_summary_writer_without_steps_counts_each_tag(server):
    with SummaryWriter(url=server.url) as writer:
        for value in (3.0, 2.0, 1.0):
            writer.add_scalar("loss", value)
        writer.add_scalar("lr", 0.1)
    assert stored(server, writer.run.id, "loss") == {"step": [0, 1, 2], "value": [3.0, 2.0, 1.0]}
    assert stored(server, writer.run.id, "lr") == {"step": [0], "value": [0.1]}


def test_wandb_arguments_lossboard_lacks_are_ignored_with_a_warning(server):
    with pytest.warns(UserWarning, match="ignores these W&B arguments: entity, group"):
        run = wandb.init(entity="me", group="g", url=server.url)
    wandb.finish()
    assert server.get(f"/api/runs/{run.id}").json()["status"] == "completed"
