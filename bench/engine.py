"""Engine overhead: each variant's bare tutorial loop vs the same run through RunManager + store.

Prints, per variant at the tutorial's sizes and 500 iterations, the median wall time of 5 runs
of each and their ratio (target: every ratio at most 1.05), and the median of the 5 paired
ratios (bench/pairs.py says why). `python bench/engine.py 25` takes
the median of 25 instead, for a machine too noisy for five to settle a few percent;
`python bench/engine.py 5 cuda` times the torch variants on a GPU (numpy is CPU-only).

Both sides train on this process's main thread: the managed run goes through
`RunManager.submit`, the store and the worker loop (`run_queued`, on a manager with no
worker threads), so only a worker thread's wake-up is left out. Torch's OpenMP (libgomp)
gives each thread that computes a thread team of its own, and while a process has two
teams their threads sleep between operations where they would spin: `nn` on this 2-core VM
took 0.21 s on the main thread, and 0.47 s on a worker thread once the main thread had run
it, with 11,500 context switches where it had none. A server computes only on its one
worker per device, so it never has two teams; a bare loop timed on the main thread beside
a manager's worker thread would give the benchmark one. (Bare loops in a process of their
own are no answer either: numpy's managed/bare ratio then read anywhere from 0.83 to 1.03,
depending on the pair of processes and steady within it.)

The 'A/A' column times the bare loop against itself the same way: the noise this machine
adds by itself, right now. 'fixed ms' is what a run costs beyond its iterations.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from functools import partial

from pairs import fmt, measure_pairs

from server.store.sqlite import Store
from server.training import registry
from server.training.drive import loop_config
from server.training.manager import RunManager
from server.training.spec import RunSpec, resolve

REPEATS, ITERATIONS = 5, 500
FIXED_REPEATS = 15  # pairs of 1-iteration runs, for the fixed cost of a run
SETTLE_S = 0.25  # OpenBLAS's idle threads spin for about 0.1 s after their work (bench/pairs.py)

Timing = tuple[float, float]  # seconds of wall time, seconds of the process's CPU time


def bare(variant: str, device: str, iterations: int = ITERATIONS) -> Timing:
    """The variant's loop alone, consumed like the tutorial's `print` loop."""
    cfg = resolve(RunSpec(variant=variant, iterations=iterations, seed=0, device=device), device)
    t0, c0 = time.perf_counter(), time.process_time()
    losses = [float(loss) for loss in registry.variant(variant).loop(loop_config(cfg))]
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert len(losses) == iterations
    return elapsed, cpu


def managed(manager: RunManager, variant: str, device: str, iterations: int = ITERATIONS) -> Timing:
    """From submitting the run to its last loss and final state being stored (the CPU time
    counts the store's writer thread too)."""
    spec = RunSpec(variant=variant, iterations=iterations, seed=0, device=device)
    t0, c0 = time.perf_counter(), time.process_time()
    run = manager.submit(spec)
    manager.run_queued(run.config.device)
    manager.store.flush()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert run.status == "completed" and len(run.losses) == iterations
    return elapsed, cpu


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else REPEATS
    device = sys.argv[2] if len(sys.argv) > 2 else "cpu"
    variants = [v.id for v in registry.variants() if device.split(":")[0] in v.devices]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(tmp)
        store.open()
        manager = RunManager(store, workers_per_device=0)
        manager.start()
        print(
            f"median of {repeats} runs of {ITERATIONS} iterations at the tutorial's sizes "
            f"on {device}"
        )
        print(
            f"{'variant':<14} {'bare s':>9} {'managed s':>10} {'ratio':>7} {'paired':>7} {'CPU':>6}"
            f" {'A/A':>6} {'fixed ms':>8}"
        )
        worst = worst_paired = worst_control = 0.0
        for variant in variants:
            bare_side = partial(bare, variant, device)
            managed_side = partial(managed, manager, variant, device)
            bare_side(), managed_side()  # warm up
            pairs = measure_pairs(repeats, bare_side, managed_side, SETTLE_S)
            cpu_pairs = zip(pairs.a_extra, pairs.b_extra, strict=True)
            cpu = statistics.median(m / b for b, m in cpu_pairs)
            control = measure_pairs(repeats, bare_side, bare_side, SETTLE_S).ratio_of_medians
            # what a run costs beyond its iterations, from runs of one iteration: small
            # enough to time many times, and it puts a figure under the ratios' noise
            short = measure_pairs(
                FIXED_REPEATS, partial(bare_side, iterations=1), partial(managed_side, iterations=1)
            )
            fixed_ms = 1e3 * statistics.median(m - b for b, m in zip(short.a, short.b, strict=True))
            worst = max(worst, pairs.ratio_of_medians)
            worst_paired = max(worst_paired, pairs.paired_ratio)
            worst_control = max(worst_control, control, 1 / control)
            print(
                f"{variant:<14} {statistics.median(pairs.a):>9.4f} "
                f"{statistics.median(pairs.b):>10.4f} {pairs.ratio_of_medians:>7.3f} "
                f"{pairs.paired_ratio:>7.3f} {cpu:>6.3f} {control:>6.3f} {fixed_ms:>8.2f}"
                f"  ratios {fmt(pairs.ratios, 3)}"
            )
        print(f"worst ratio of medians {worst:.3f}, worst paired ratio {worst_paired:.3f}")
        print(f"worst A/A control {worst_control:.3f} (either way round)")
        print("(target: every ratio <= 1.05; 'paired' is the median of each repeat's own ratio;")
        print(" 'CPU' the same for the process's CPU time, which waiting for a core does not add;")
        print(" 'A/A' the bare loop timed against itself: what this machine's noise alone gives;")
        print(
            f" 'fixed ms' the managed run's extra time at 1 iteration, median of {FIXED_REPEATS})"
        )
        manager.close()
        store.close()


if __name__ == "__main__":
    main()
