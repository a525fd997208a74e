"""Engine overhead: each variant's bare tutorial loop vs the same run through RunManager + store.

Prints, per variant at the tutorial's sizes and 500 iterations, the median wall time of 5 runs
of each and their ratio (target: every ratio at most 1.05). `python bench/engine.py 25` takes
the median of 25 instead, for a machine too noisy for five to settle a few percent;
`python bench/engine.py 5 cuda` times the torch variants on a GPU (numpy is CPU-only).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.store import Store
from server.training.config import RunSpec, resolve
from server.training.runner import RunManager
from server.training.variants import VARIANTS

REPEATS, ITERATIONS = 5, 500


def bare(variant: str, device: str) -> float:
    """Seconds for the variant's loop alone, consumed like the tutorial's `print` loop."""
    cfg = resolve(RunSpec(variant=variant, iterations=ITERATIONS, seed=0, device=device), device)
    t0 = time.perf_counter()
    losses = [float(loss) for loss in VARIANTS[variant](cfg)]
    elapsed = time.perf_counter() - t0
    assert len(losses) == ITERATIONS
    return elapsed


def managed(
    manager: RunManager, finished: dict[int, threading.Event], variant: str, device: str
) -> float:
    """Seconds from submitting the run to its last loss and final state being stored."""
    spec = RunSpec(variant=variant, iterations=ITERATIONS, seed=0, device=device)
    t0 = time.perf_counter()
    run = manager.submit(spec)
    finished.setdefault(run.id, threading.Event()).wait()
    manager.store.flush()
    elapsed = time.perf_counter() - t0
    assert run.status == "completed" and len(run.losses) == ITERATIONS
    return elapsed


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else REPEATS
    device = sys.argv[2] if len(sys.argv) > 2 else "cpu"
    variants = [v for v in VARIANTS if device == "cpu" or v != "numpy"]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(tmp)
        store.open()
        manager = RunManager(store)
        finished: dict[int, threading.Event] = {}

        def on_event(run, event):
            if run.finished:
                finished.setdefault(run.id, threading.Event()).set()

        manager.add_listener(on_event)
        manager.start()
        print(
            f"median of {repeats} runs of {ITERATIONS} iterations at the tutorial's sizes "
            f"on {device}"
        )
        print(f"{'variant':<14} {'bare s':>9} {'managed s':>10} {'ratio':>7}")
        worst = 0.0
        for variant in variants:
            bare(variant, device), managed(manager, finished, variant, device)  # warm up
            b, m = [], []
            for _ in range(repeats):  # interleaved, so drift in the machine hits both alike
                b.append(bare(variant, device))
                m.append(managed(manager, finished, variant, device))
            ratio = statistics.median(m) / statistics.median(b)
            worst = max(worst, ratio)
            print(
                f"{variant:<14} {statistics.median(b):>9.4f} {statistics.median(m):>10.4f} "
                f"{ratio:>7.3f}"
            )
        print(f"worst ratio {worst:.3f} (target <= 1.05)")
        manager.close()
        store.close()


if __name__ == "__main__":
    main()
