"""The tutorial's `autograd` loop (one torch thread, 2,000 steps) with a logger's call in it,
against the same loop bare, in interleaved pairs. Imports no lossboard, so that
`python bench/sdk_loop.py TOOL` runs in a throwaway venv that has TOOL installed
(mlflow, wandb, trackio, aim) and prints `TOOL ratio`."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator

import torch
from pairs import measure_pairs

STEPS, REPEATS = 2_000, 7
N, D_in, H, D_out = 64, 1000, 100, 10
Log = Callable[[int, float], object]


def loop(log: Log | None) -> tuple[float, None]:
    """The tutorial's autograd loop; `log(step, loss)` each step. Seconds it took."""
    torch.manual_seed(0)
    x, y = torch.randn(N, D_in), torch.randn(N, D_out)
    w1 = torch.randn(D_in, H, requires_grad=True)
    w2 = torch.randn(H, D_out, requires_grad=True)
    learning_rate = 1e-6
    start = time.perf_counter()
    for t in range(STEPS):
        y_pred = x.mm(w1).clamp(min=0).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        value = loss.item()  # bare too: the number a logger would be given
        if log is not None:
            log(t, value)
        loss.backward()
        with torch.no_grad():
            w1 -= learning_rate * w1.grad
            w2 -= learning_rate * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()
    return time.perf_counter() - start, None


def paired_ratio(logger: Callable[[], contextlib.AbstractContextManager[Log]]) -> float:
    """Median of the repeats' logged/bare time ratios (bench/pairs.py's ABBA order)."""

    def logged() -> tuple[float, None]:
        with logger() as log:
            return loop(log)

    return measure_pairs(REPEATS, lambda: loop(None), logged, settle=0.3).paired_ratio


@contextlib.contextmanager
def torch_tensorboard() -> Iterator[Log]:
    from torch.utils.tensorboard import SummaryWriter

    with tempfile.TemporaryDirectory() as tmp:
        writer = SummaryWriter(tmp)
        yield lambda t, v: writer.add_scalar("loss", v, t)
        writer.close()


@contextlib.contextmanager
def mlflow_sqlite() -> Iterator[Log]:
    import mlflow

    with tempfile.TemporaryDirectory() as tmp:
        mlflow.set_tracking_uri(f"sqlite:///{tmp}/mlflow.db")
        with mlflow.start_run():
            yield lambda t, v: mlflow.log_metric("loss", v, step=t)


@contextlib.contextmanager
def wandb_offline() -> Iterator[Log]:
    import wandb

    with tempfile.TemporaryDirectory() as tmp:
        run = wandb.init(project="bench", dir=tmp, mode="offline")
        yield lambda t, v: run.log({"loss": v}, step=t)
        run.finish()


@contextlib.contextmanager
def trackio_local() -> Iterator[Log]:
    import trackio

    trackio.init(project="lossboard-bench")
    yield lambda t, v: trackio.log({"loss": v})
    trackio.finish()


@contextlib.contextmanager
def aim_local() -> Iterator[Log]:
    from aim import Run

    with tempfile.TemporaryDirectory() as tmp:
        run = Run(repo=tmp)
        yield lambda t, v: run.track(v, name="loss", step=t)
        run.close()


PEERS = {"mlflow": mlflow_sqlite, "wandb": wandb_offline, "trackio": trackio_local,
         "aim": aim_local}  # fmt: skip


def main() -> None:
    torch.set_num_threads(1)
    tool = sys.argv[1]
    os.environ.setdefault("WANDB_SILENT", "true")
    ratio = paired_ratio(PEERS[tool])
    print(f"{tool} {ratio:.4f}")


if __name__ == "__main__":
    main()
