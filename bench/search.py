"""Searching `nn` for its best final loss: random sampling, TPE, and TPE with Hyperband.

The domain is the issue's: learning_rate log-uniform in [1e-7, 1e-3] and H an integer in
[16, 256], a budget of 24 points of ITERATIONS steps, two points at a time, on this machine's
CPU through the real manager, store and search thread. For each method it prints, averaged
over 3 sweep seeds, the best final loss found, the training steps spent (every run's
iterations, pruned ones cut short), and how many points diverged; then the steps TPE with
Hyperband spent until it first held a point as good as random's best (target: at most half
of random's steps). `python bench/search.py 500` runs 500 iterations a point instead.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time

from server.store.sqlite import Store
from server.training.manager import RunManager
from server.training.sweep_spec import SweepSpec
from server.training.sweeps import Sweeps

ITERATIONS = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
SEEDS = (1, 2, 3)
DOMAIN = {"learning_rate": {"log_uniform": [1e-7, 1e-3]}, "H": {"int_uniform": [16, 256]}}
METHODS = {
    "random": {"method": "random"},
    "tpe": {"method": "tpe"},
    "tpe+hyperband": {"method": "tpe", "pruner": "hyperband"},
}


def sweep(sweeps: Sweeps, options: dict, seed: int) -> list[dict]:
    """One sweep to its end; its runs in the order they finished."""
    body = {"variant": "nn", "count": 24, "max_parallel": 2, "params": DOMAIN, **options,
            "base": {"iterations": ITERATIONS, "device": "cpu", "seed": seed}}  # fmt: skip
    created = sweeps.create(SweepSpec.model_validate(body))
    while (ended := sweeps.get(created["id"]))["status"] == "running":
        time.sleep(0.1)
    runs = [sweeps.manager.reads.get(i) for i in ended["run_ids"]]
    return sorted((r for r in runs if r is not None), key=lambda r: r["finished_at"])


def figures(runs: list[dict]) -> tuple[float, int, int]:
    """The best final loss of a completed run, the steps spent, the points that diverged."""
    finals = [r["last_loss"] for r in runs if r["status"] == "completed"]
    steps = sum(r["iteration"] for r in runs)
    return min(finals, default=float("nan")), steps, sum(r["status"] == "diverged" for r in runs)


def steps_to_reach(runs: list[dict], target: float) -> int | None:
    """Steps spent until a completed run's final loss was at most `target`, or None."""
    spent = 0
    for run in runs:
        spent += run["iteration"]
        if run["status"] == "completed" and run["last_loss"] <= target:
            return spent
    return None


def main() -> None:
    results: dict[str, list] = {name: [] for name in METHODS}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(tmp)
        store.open()
        manager = RunManager(store, workers_per_device=2)
        manager.start()
        sweeps = Sweeps(manager)
        try:
            for seed in SEEDS:
                for name, options in METHODS.items():
                    t0 = time.perf_counter()
                    runs = sweep(sweeps, options, seed)
                    results[name].append((runs, *figures(runs), time.perf_counter() - t0))
                    best, steps, diverged = results[name][-1][1:4]
                    print(f"  seed {seed} {name:14} best {best:.4g}  steps {steps}  "
                          f"diverged {diverged}", flush=True)  # fmt: skip
        finally:
            manager.close()
            store.close()
    report(results)


def report(results: dict[str, list]) -> None:
    print(f"nn, 24 points of {ITERATIONS} iterations, 2 at a time; mean over seeds {SEEDS}:")
    print(f"  {'method':14} {'best final loss':>16} {'steps':>10} {'diverged':>9} {'wall s':>7}")
    for name, rows in results.items():
        best = statistics.mean(r[1] for r in rows)
        steps = statistics.mean(r[2] for r in rows)
        diverged = statistics.mean(r[3] for r in rows)
        wall = statistics.mean(r[4] for r in rows)
        print(f"  {name:14} {best:16.4g} {steps:10.0f} {diverged:9.1f} {wall:7.1f}")
    random_steps = [r[2] for r in results["random"]]
    for (runs, *_), target, spent in zip(
        results["tpe+hyperband"], (r[1] for r in results["random"]), random_steps, strict=True
    ):
        reached = steps_to_reach(runs, target)
        said = "never" if reached is None else f"{reached} steps ({reached / spent:.2f}x)"
        print(f"  tpe+hyperband reached random's best ({target:.4g}) after {said} "
              f"of random's {spent} (target: at most 0.5x)")  # fmt: skip


if __name__ == "__main__":
    main()
