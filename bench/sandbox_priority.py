"""A training run's speed while the playground evaluates heavy snippets back to back, with the
sandbox at the server's CPU priority (nice 0) and at SANDBOX_NICE below it.

Prints the run's iterations per second alone, then beside the snippets at each priority.
"""

from __future__ import annotations

import threading
import time

from server.playground.sandbox import SANDBOX_NICE, SandboxPool
from server.training.drive import drive
from server.training.spec import RunSpec, resolve

WINDOW_S, CLIENTS = 8.0, 2
SNIPPET = "x = torch.randn(600, 600)\nfor i in range(400):\n    y = x @ x\nprint(1)"


def iterations_per_second(seconds: float) -> float:
    """The tutorial's `tensors` loop at its default sizes, trained for `seconds` here."""
    config = resolve(RunSpec(variant="tensors", iterations=10_000_000), "cpu")
    deadline, steps = time.perf_counter() + seconds, 0
    t0 = time.perf_counter()
    for batch in drive(config, lambda: "cancelled" if time.perf_counter() > deadline else None):
        steps += len(batch.loss)
    return steps / (time.perf_counter() - t0)


def evaluate_until(pool: SandboxPool, done: threading.Event) -> None:
    while not done.is_set():
        pool.evaluate(SNIPPET)


def beside_snippets(nice: int) -> float:
    """The run's speed while CLIENTS threads evaluate SNIPPET back to back at `nice`."""
    with SandboxPool(workers=CLIENTS, timeout_s=30, nice=nice) as pool:
        pool.evaluate("print(0)")
        done = threading.Event()
        threads = [threading.Thread(target=evaluate_until, args=(pool, done), name=f"snippet-{i}")
                   for i in range(CLIENTS)]  # fmt: skip
        for thread in threads:
            thread.start()
        try:
            return iterations_per_second(WINDOW_S)
        finally:
            done.set()
            for thread in threads:
                thread.join()


def main() -> None:
    alone = iterations_per_second(WINDOW_S)
    print(f"training alone:                        {alone:8.0f} it/s")
    for nice in (0, SANDBOX_NICE):
        speed = beside_snippets(nice)
        print(f"beside {CLIENTS} snippet clients, sandbox nice {nice:2d}: {speed:8.0f} it/s "
              f"({speed / alone:.0%} of alone)")  # fmt: skip


if __name__ == "__main__":
    main()
