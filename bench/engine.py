"""Engine overhead: each variant's bare tutorial loop vs the same run through RunManager + store.

Prints, per variant at the tutorial's sizes and 500 iterations, the median wall time of 5 runs
of each and their ratio (target: every ratio at most 1.05), and the median of the 5 paired
ratios (bench/pairs.py says why). `python bench/engine.py 25` takes
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

from bench.pairs import fmt, measure_pairs
from server.store import Store
from server.training.config import RunSpec, resolve
from server.training.runner import RunManager
from server.training.variants import VARIANTS

REPEATS, ITERATIONS = 5, 500


def bare(variant: str, device: str) -> tuple[float, float]:
    """Seconds (wall, process CPU) for the variant's loop alone, consumed like the tutorial's
    `print` loop."""
    cfg = resolve(RunSpec(variant=variant, iterations=ITERATIONS, seed=0, device=device), device)
    t0, c0 = time.perf_counter(), time.process_time()
    losses = [float(loss) for loss in VARIANTS[variant](cfg)]
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert len(losses) == ITERATIONS
    return elapsed, cpu


def managed(
    manager: RunManager, finished: dict[int, threading.Event], variant: str, device: str
) -> tuple[float, float]:
    """Seconds (wall, process CPU: worker, store writer and all) from submitting the run to
    its last loss and final state being stored."""
    spec = RunSpec(variant=variant, iterations=ITERATIONS, seed=0, device=device)
    t0, c0 = time.perf_counter(), time.process_time()
    run = manager.submit(spec)
    finished.setdefault(run.id, threading.Event()).wait()
    manager.store.flush()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert run.status == "completed" and len(run.losses) == ITERATIONS
    return elapsed, cpu


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
        print(
            f"{'variant':<14} {'bare s':>9} {'managed s':>10} {'ratio':>7} {'paired':>7} {'CPU':>6}"
        )
        worst = worst_paired = 0.0
        for variant in variants:
            bare(variant, device), managed(manager, finished, variant, device)  # warm up
            pairs = measure_pairs(
                repeats,
                lambda v=variant: bare(v, device),
                lambda v=variant: managed(manager, finished, v, device),
            )
            cpu_pairs = zip(pairs.a_extra, pairs.b_extra, strict=True)
            cpu = statistics.median(m / b for b, m in cpu_pairs)
            worst = max(worst, pairs.ratio_of_medians)
            worst_paired = max(worst_paired, pairs.paired_ratio)
            print(
                f"{variant:<14} {statistics.median(pairs.a):>9.4f} "
                f"{statistics.median(pairs.b):>10.4f} {pairs.ratio_of_medians:>7.3f} "
                f"{pairs.paired_ratio:>7.3f} {cpu:>6.3f}  ratios {fmt(pairs.ratios, 3)}"
            )
        print(f"worst ratio of medians {worst:.3f}, worst paired ratio {worst_paired:.3f}")
        print("(target: every ratio <= 1.05; 'paired' is the median of each repeat's own ratio;")
        print(" 'CPU' the same for the process's CPU time, which waiting for a core does not add)")
        manager.close()
        store.close()


if __name__ == "__main__":
    main()
