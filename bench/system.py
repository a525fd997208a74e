"""The system sampler's cost: a served run's time over the bare loop's, sampling every 2 s
against sampling off, in interleaved pairs (bench/pairs.py says why pairs).

Both served sides go through RunManager + store on this process's main thread, as
bench/engine.py's do (it says why the main thread); one manager's executor has a sampler
thread reading every 2 s, as `lossboard serve` does by default, the other none
(LOSSBOARD_SYSTEM_EVERY_S=0). Each run is long enough to see several samples. Prints the
served/bare ratio of each, and the headline: the on/off paired ratio (target: at most 1.01),
in wall time and in CPU time; then the sampler's own CPU per sample, which a loaded machine's
noise does not move (on a 2-core VM at load 12 the paired wall ratios ran from 0.4 to 2.7).

`python bench/system.py 9 nn 6` takes 9 repeats of the nn variant's runs of about 6 s.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from functools import partial

from pairs import Paired, fmt, measure_pairs

from server.store.sqlite import Store
from server.system.sampler import SystemSampler
from server.training import registry
from server.training.drive import loop_config
from server.training.executors import LocalExecutor
from server.training.manager import RunManager
from server.training.spec import RunSpec, resolve

REPEATS, VARIANT, RUN_S, EVERY_S = 5, "nn", 6.0, 2.0
SETTLE_S = 0.25  # OpenBLAS's idle threads spin for about 0.1 s after their work (bench/pairs.py)


Extra = tuple[float, int]  # the process's CPU seconds (every thread's), the run's samples


def bare(variant: str, iterations: int) -> tuple[float, Extra]:
    """The variant's loop alone, consumed like the tutorial's `print` loop."""
    cfg = resolve(RunSpec(variant=variant, iterations=iterations, seed=0), "cpu")
    t0, c0 = time.perf_counter(), time.process_time()
    loop = registry.variant(variant).loop(loop_config(cfg))
    assert sum(1 for loss in loop if float(loss) > -1) == iterations
    return time.perf_counter() - t0, (time.process_time() - c0, 0)


def served(manager: RunManager, variant: str, iterations: int) -> tuple[float, Extra]:
    """From submitting the run to its losses and samples being stored; its CPU and samples."""
    t0, c0 = time.perf_counter(), time.process_time()
    run = manager.submit(RunSpec(variant=variant, iterations=iterations, seed=0))
    manager.run_queued("cpu")
    manager.store.flush()
    assert run.status == "completed" and len(run.losses) == iterations
    return time.perf_counter() - t0, (time.process_time() - c0, len(run.samples))


def make_manager(store: Store, sampler: SystemSampler | None) -> RunManager:
    manager = RunManager(store, executor=LocalExecutor(workers_per_device=0, sampler=sampler))
    manager.start()
    return manager


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else REPEATS
    variant = sys.argv[2] if len(sys.argv) > 2 else VARIANT
    run_s = float(sys.argv[3]) if len(sys.argv) > 3 else RUN_S
    sampler = SystemSampler(EVERY_S)
    sampler.start()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(tmp)
        store.open()
        off, on = make_manager(store, None), make_manager(store, sampler)
        probe, _ = bare(variant, 500)
        iterations = max(500, int(500 * run_s / probe))
        print(f"{variant}: {repeats} pairs of runs of {iterations} iterations (~{run_s:.0f} s)")
        sides = [partial(bare, variant, iterations), partial(served, off, variant, iterations),
                 partial(served, on, variant, iterations)]  # fmt: skip
        sides[1](), sides[2]()  # warm up
        report(*(measure_pairs(repeats, a, b, SETTLE_S) for a, b in
                 [(sides[0], sides[1]), (sides[0], sides[2]), (sides[1], sides[2])]))  # fmt: skip
        sample_cost(sampler)
        off.close()
        on.close()
        store.close()
    sampler.close()


def sample_cost(sampler: SystemSampler, samples: int = 200) -> None:
    """The sampler's own CPU per sample (its thread's time, which a busy machine's waits do
    not add), as a share of one core at its interval: what sampling can take from a run."""
    costs = []
    for _ in range(samples):
        c0 = time.thread_time()
        sampler.sample()
        costs.append(time.thread_time() - c0)
    cost, gpus = statistics.median(costs), len(sampler.nvml.handles) if sampler.nvml else 0
    print(f"the sampler's CPU: {1e3 * cost:.3f} ms a sample ({gpus} GPUs), "
          f"{100 * cost / EVERY_S:.4f}% of a core at one every {EVERY_S:.0f} s")  # fmt: skip


def report(off: Paired[Extra], on: Paired[Extra], headline: Paired[Extra]) -> None:
    """Each served side over bare, and on over off: the headline, in wall and CPU time."""
    print(f"served/bare, sampling off: paired {off.paired_ratio:.4f} {fmt(off.ratios, 3)}")
    samples = [n for _, n in on.b_extra]
    print(f"served/bare, every {EVERY_S:.0f} s: paired {on.paired_ratio:.4f} "
          f"{fmt(on.ratios, 3)}; samples per run {samples}")  # fmt: skip
    print(f"sampling on / off (served): paired {headline.paired_ratio:.4f}, ratio of medians "
          f"{headline.ratio_of_medians:.4f} {fmt(headline.ratios, 3)}")  # fmt: skip
    cpu = [b[0] / a[0] for a, b in zip(headline.a_extra, headline.b_extra, strict=True)]
    print(f"  in CPU time (all threads, which waiting for a core does not add): paired "
          f"{statistics.median(cpu):.4f} {fmt(cpu, 3)}")  # fmt: skip
    medians = [statistics.median(x) for x in (off.a, headline.a, headline.b)]
    print("median seconds: bare {:.3f}, off {:.3f}, on {:.3f}".format(*medians))
    print("(target: sampling on / off at most 1.01)")


if __name__ == "__main__":
    main()
