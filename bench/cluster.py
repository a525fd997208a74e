"""Ray executor: 8 `nn` runs on a simulated 2-node Ray cluster vs. the local executor.

Through the RunManager (not HTTP), both executors warm, each batch timed from its first submit
to its last run completed. Prints:
- the throughput ratio of 8 `nn` runs of 2,000 iterations on two one-CPU Ray nodes against
  the same 8 on the local executor with one worker (target at least 1.7);
- a Ray run's fixed cost over a local run's, from 1-iteration runs (target under 100 ms);
- its per-iteration cost ratio: a long run's time less the 1-iteration time, Ray over local
  (target at most 1.10).
Run it with OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1, as `make bench` does: Ray's workers
inherit them, and a second thread per run would take the other node's core on 2 cores.
`python bench/cluster.py 5` takes 5 pairs of batches instead of 3.
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import tempfile
import threading
import time
from functools import partial

import ray
from pairs import fmt, measure_pairs
from ray.cluster_utils import Cluster

from server.store.sqlite import Store
from server.training.executors.ray_tasks import RayExecutor
from server.training.manager import RunManager
from server.training.run import Run
from server.training.spec import RunSpec

RUNS, ITERATIONS, REPEATS = 8, 2_000, 3
FIXED_REPEATS, LONG_ITERATIONS, LONG_REPEATS = 10, 4_000, 5
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")
WAIT_S = 300.0


class Finishes:
    """The status each finished run of a manager ended with (a manager listener)."""

    def __init__(self, manager: RunManager) -> None:
        self._ended: dict[int, str] = {}
        self._changed = threading.Condition()
        manager.add_listener(self._heard)

    def _heard(self, run: Run, event: str) -> None:
        if event == "status" and run.finished:
            with self._changed:
                self._ended[run.id] = run.status
                self._changed.notify_all()

    def wait(self, run_ids: set[int]) -> None:
        """Block until every run in `run_ids` has finished; each must have completed."""
        with self._changed:
            if not self._changed.wait_for(lambda: run_ids <= self._ended.keys(), WAIT_S):
                raise TimeoutError(f"runs {sorted(run_ids - self._ended.keys())} did not finish")
            failed = {i: self._ended[i] for i in run_ids if self._ended[i] != "completed"}
        assert not failed, f"runs that did not complete: {failed}"


def batch(
    manager: RunManager, finishes: Finishes, runs: int, iterations: int
) -> tuple[float, None]:
    """Seconds from submitting `runs` nn runs of `iterations` to the last one completed."""
    spec = RunSpec(variant="nn", device="cpu", iterations=iterations, seed=0)
    t0 = time.perf_counter()
    finishes.wait({manager.submit(spec).id for _ in range(runs)})
    return time.perf_counter() - t0, None


def side(manager: RunManager) -> partial[tuple[float, None]]:
    """A started manager as `batch` with its runs and iterations still to give."""
    manager.start()
    return partial(batch, manager, Finishes(manager))


def throughput(local: partial, remote: partial, repeats: int) -> None:
    """Print the time of RUNS runs on each side and the ratio of throughputs, local/Ray."""
    pairs = measure_pairs(
        repeats, partial(remote, RUNS, ITERATIONS), partial(local, RUNS, ITERATIONS)
    )
    print(
        f"{RUNS} nn runs of {ITERATIONS} iterations: local (1 worker) "
        f"{statistics.median(pairs.b):.2f} s, Ray (2 nodes, 1 CPU each) "
        f"{statistics.median(pairs.a):.2f} s, median of {repeats}"
    )
    print(
        f"throughput ratio {pairs.ratio_of_medians:.2f}, paired {pairs.paired_ratio:.2f} "
        f"{fmt(pairs.ratios)}  (target >= 1.7)"
    )


def fixed_cost(local: partial, remote: partial) -> tuple[float, float]:
    """Print what a Ray run costs beyond a local one; return each side's 1-iteration time."""
    pairs = measure_pairs(FIXED_REPEATS, partial(local, 1, 1), partial(remote, 1, 1))
    extra_ms = [1e3 * (r - lo) for lo, r in zip(pairs.a, pairs.b, strict=True)]
    local_one, ray_one = statistics.median(pairs.a), statistics.median(pairs.b)
    print(
        f"fixed cost of a Ray run over a local one: {statistics.median(extra_ms):.1f} ms, "
        f"p90 {statistics.quantiles(extra_ms, n=10)[-1]:.1f} ms, {FIXED_REPEATS} pairs of "
        f"1-iteration runs  (target < 100 ms)"
    )
    print(f"  (a 1-iteration run: local {1e3 * local_one:.1f} ms, Ray {1e3 * ray_one:.1f} ms)")
    return local_one, ray_one


def per_iteration(local: partial, remote: partial, local_one: float, ray_one: float) -> None:
    """Print the ratio of a long run's time beyond a 1-iteration run's, Ray over local."""
    pairs = measure_pairs(
        LONG_REPEATS, partial(local, 1, LONG_ITERATIONS), partial(remote, 1, LONG_ITERATIONS)
    )
    ratios = [(r - ray_one) / (lo - local_one) for lo, r in zip(pairs.a, pairs.b, strict=True)]
    print(
        f"per-iteration cost, Ray over local: {statistics.median(ratios):.3f} {fmt(ratios, 3)}, "
        f"{LONG_REPEATS} pairs of {LONG_ITERATIONS}-iteration runs  (target <= 1.10)"
    )


def compare(data_dir: str, repeats: int) -> None:
    """Start a local and a Ray manager on one store, warm both, and print the figures."""
    store = Store(data_dir)
    store.open()
    managers = RunManager(store, workers_per_device=1), RunManager(store, executor=RayExecutor())
    try:
        local, remote = (side(manager) for manager in managers)
        local(RUNS, ITERATIONS), remote(RUNS, ITERATIONS)  # warm up: torch's first steps
        throughput(local, remote, repeats)
        per_iteration(local, remote, *fixed_cost(local, remote))
    finally:
        for manager in managers:
            manager.close()
        store.close()


def main() -> None:
    if any(os.environ.get(name) != "1" for name in THREAD_VARS):
        sys.exit("run with OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/cluster.py")
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else REPEATS
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs before starting "
        "(the throughput ratio needs two idle cores)"
    )
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    try:
        cluster.add_node(num_cpus=1)
        ray.init(address=cluster.address, log_to_driver=False, logging_level=logging.WARNING)
        with tempfile.TemporaryDirectory() as tmp:
            compare(tmp, repeats)
    finally:
        ray.shutdown()
        cluster.shutdown()  # only these two nodes: `ray stop` would stop every Ray here


if __name__ == "__main__":
    main()
