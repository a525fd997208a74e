"""Checkpoints: what they cost a run, how big and slow one is, and how soon a pause frees a lane.

1. cost: a served run (RunManager, LocalExecutor, a real Store in a temporary directory) with
   checkpoints every 30 s against checkpoints off, and every 1 s to show a cost that can be
   measured: the paired ratios of wall times and of the process's CPU times, measured side by
   side (bench/pairs.py, in rotating order here: three sides), and the share of a run's time
   that the writer thread spent writing its periodic checkpoints. Each run lasts about
   `seconds` (default 75), so that the 30 s side writes two periodic checkpoints. Target:
   30 s / off at most 1.01. On a busy shared machine the ratios swing by tens of percent from
   one pair to the next; the writer's share (and part 2's snapshot, the one cost on the
   loop's own thread) says what checkpoints themselves take.
2. size: one checkpoint of `nn`, `optim` (Adam) and `custom_module` at the tutorial's sizes,
   and of a 1 GiB run (`optim` with Adam, D_in=10000, H=8950: weights and Adam's two moments
   take 1.0 GiB): the bytes, the seconds of the snapshot the loop's thread takes (state()
   copied), of torch.save into memory, and of Checkpoints.write (torch.save into a temporary
   file, fsync, rename: what the writer thread does).
3. pause: one worker, run A training, run B queued: from `Steering.pause(A)` (what POST
   /api/runs/{A}/pause calls) to B's status turning `running` (a manager listener), median
   and p95 over `repeats` (default 15). Target: under 200 ms.

`python bench/checkpoint.py [repeats] [seconds] [parts]`, parts a subset of `cost,size,pause`
(default 3 repeats of the cost, 75 s runs, all three parts: about 13 minutes). Torch computes
on one thread unless OMP_NUM_THREADS says otherwise. Timings only: nothing here asserts a
target; the figures are printed beside them.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from pairs import fmt

from server.store.checkpoints import Checkpoints
from server.store.sqlite import Store
from server.training import registry
from server.training.drive import loop_config, take, to_bytes
from server.training.manager import RunManager
from server.training.run import Run
from server.training.spec import RunSpec, resolve

SETTLE_S = 0.25  # idle OpenMP and OpenBLAS threads spin for a while (bench/pairs.py)
COST_VARIANT = "optim"  # Adam, at the tutorial's sizes: the bigger state of the two-layer net
GIB_SIZES = {"N": 64, "D_in": 10_000, "H": 8_950, "D_out": 10}  # weights + Adam's moments: 1 GiB


@dataclass
class Served:
    """One served run: its wall and CPU seconds, its periodic checkpoints and their writes."""

    wall: float
    cpu: float  # the whole process's: the loop's thread, the store's and the writer's
    checkpoints: int
    writing: float  # seconds the writer thread spent on its checkpoints, fsync included


def served(manager: RunManager, every_s: float, iterations: int) -> Served:
    """One run through the manager on this thread, checkpointing every `every_s` (0: never),
    timed to its last loss stored and its final model written."""
    manager.steering.every_s = every_s
    figures = manager.steering.writer.figures
    written, writing = figures.written, figures.seconds
    spec = RunSpec(variant=COST_VARIANT, iterations=iterations, seed=0, device="cpu")
    t0, c0 = time.perf_counter(), time.process_time()
    run = manager.submit(spec)
    manager.run_queued("cpu")
    manager.store.flush()
    manager.steering.writer.wait(run.id)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert run.status == "completed", run.error
    model = figures.last_seconds  # the final model's write, which either side makes
    manager.delete(run.id)  # its losses and files: the disk stays as small as at the start
    return Served(wall, cpu, figures.written - written - 1, figures.seconds - writing - model)


def calibrate(manager: RunManager, seconds: float) -> int:
    """Iterations of COST_VARIANT that take about `seconds` here, now."""
    probe = 2_000
    return max(probe, int(probe * seconds / served(manager, 0, probe).wall))


def cost(repeats: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(tmp)
        store.open()
        manager = RunManager(store, workers_per_device=0)
        manager.start()
        iterations = calibrate(manager, seconds)
        sides: dict[float, list[Served]] = {0: [], 30: [], 1: []}
        order = list(sides)
        print(f"1. cost: {repeats} x 3 served runs of {COST_VARIANT} (Adam), {iterations:,} "
              f"iterations each (about {seconds:.0f} s), sides in rotating order")  # fmt: skip
        for i in range(repeats):
            for every in order[i % 3 :] + order[: i % 3]:
                time.sleep(SETTLE_S)
                sides[every].append(served(manager, every, iterations))
        manager.close()
        store.close()
    off = sides[0]
    for every in (30, 1):
        on = sides[every]
        walls = [a.wall / b.wall for a, b in zip(on, off, strict=True)]
        cpus = [a.cpu / b.cpu for a, b in zip(on, off, strict=True)]
        share = statistics.median(s.writing / s.wall for s in on)
        target = "target <= 1.01" if every == 30 else "no target: to show a cost"
        print(
            f"   every {every:>2} s / off ({target}): wall paired {statistics.median(walls):.4f} "
            f"{fmt(walls, 3)}, CPU paired {statistics.median(cpus):.4f} {fmt(cpus, 3)}; "
            f"periodic checkpoints a run {[s.checkpoints for s in on]}, their writes "
            f"{100 * share:.3f}% of a run's time"
        )
    print(f"   off: {fmt([s.wall for s in off])} s a run")


def sizes() -> None:
    print("2. one checkpoint: bytes; seconds of the snapshot, of torch.save into memory, and of")
    print("   the fsync'd write (torch.save into a temporary file, fsync, rename); median of 3")
    cases = [
        ("nn", {}),
        ("optim", {"optimizer": "adam"}),
        ("custom_module", {}),
        ("optim 1 GiB", {"optimizer": "adam", **GIB_SIZES}),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        checkpoints = Checkpoints(Path(tmp))
        for run_id, (name, fields) in enumerate(cases):
            one_size(checkpoints, run_id, name, fields)


def one_size(checkpoints: Checkpoints, run_id: int, name: str, fields: dict) -> None:
    """Time a checkpoint of a run of `name`'s variant, two steps in."""
    variant = name.split()[0]
    spec = RunSpec(variant=variant, iterations=10, seed=0, device="cpu", **fields)
    cfg = loop_config(resolve(spec, "cpu"))
    loop = registry.variant(variant).loop(cfg)
    next(loop), next(loop)  # Adam's moments exist after the first update
    snap, dump, write = [], [], []
    size = 0
    for _ in range(3):
        t0 = time.perf_counter()
        checkpoint = take(cfg, 1)
        t1 = time.perf_counter()
        size = len(to_bytes(checkpoint.state or {}))
        t2 = time.perf_counter()
        written = checkpoints.write(run_id, 1, checkpoint.save)
        snap.append(t1 - t0)
        dump.append(t2 - t1)
        write.append(written.seconds)
        del checkpoint
    loop.close()
    print(
        f"   {name:<14} {size / 2**20:>9.2f} MiB  snapshot {statistics.median(snap):.4f} s  "
        f"torch.save {statistics.median(dump):.4f} s  write {statistics.median(write):.4f} s"
    )
    checkpoints.delete(run_id)


def pause(repeats: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(tmp)
        store.open()
        manager = RunManager(store, workers_per_device=1, checkpoint_every_s=30)
        started: dict[int, float] = {}
        changed = threading.Condition()

        def listen(run: Run, event: str) -> None:
            if event == "status" and run.status == "running":
                with changed:
                    started.setdefault(run.id, time.perf_counter())
                    changed.notify_all()

        manager.add_listener(listen)
        manager.start()
        long = RunSpec(variant="nn", iterations=10_000_000, seed=0, device="cpu")
        waits = []
        for _ in range(repeats):
            a = manager.submit(long)
            with changed:
                changed.wait_for(lambda a=a: a.id in started, 30)
            time.sleep(0.2)  # A trains a while
            b = manager.submit(long)
            t0 = time.perf_counter()
            manager.steering.pause(a.id)
            with changed:
                changed.wait_for(lambda b=b: b.id in started, 30)
            waits.append(started[b.id] - t0)
            assert a.status == "paused", a.status
            manager.cancel(b.id)
            manager.cancel(a.id)
            time.sleep(SETTLE_S)
        manager.close()
        store.close()
    ms = sorted(1e3 * w for w in waits)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    print(f"3. pause to the lane's next run running, {repeats} repeats: median "
          f"{statistics.median(ms):.1f} ms, p95 {p95:.1f} ms (target < 200 ms); "
          f"all {fmt(ms, 1)}")  # fmt: skip


def main() -> None:
    if "OMP_NUM_THREADS" not in os.environ:
        # one thread: on a busy 2-core machine two OpenMP threads wait on each other, and a
        # run took 40 times as long (the nn loop: 22 s for 500 steps, 0.5 s on one thread)
        torch.set_num_threads(1)
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 75.0
    parts = sys.argv[3].split(",") if len(sys.argv) > 3 else ["pause", "size", "cost"]
    if "pause" in parts:
        pause(max(repeats, 15))
    if "size" in parts:
        sizes()
    if "cost" in parts:
        cost(repeats, seconds)


if __name__ == "__main__":
    main()
