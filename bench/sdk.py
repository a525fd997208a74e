"""The client library's costs and speeds, against a real `lossboard serve` on loopback.

Prints:
- run.log({"loss": x}) on the calling thread: median and p99 µs over 100,000 calls
  (target: median <= 2 µs);
- the tutorial's autograd loop (2,000 steps, one torch thread) logging each step, against
  the same loop bare, in interleaved pairs: lossboard (target <= 1.03) and
  torch.utils.tensorboard's SummaryWriter; then each peer whose venv `--peers DIR` holds
  (DIR/venv-mlflow, -wandb, -trackio, -aim, run by bench/sdk_loop.py there);
- log() to a websocket subscriber: p50 and p95 ms (target p95 <= 100 ms);
- ingest: points/s for one client (target >= 200,000) and for 20 at once, with the
  server's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from sdk_loop import Log, paired_ratio, torch_tensorboard
from stream import LocalServer
from websockets.sync.client import connect

import lossboard

CALLS = 100_000
LATENCY_POINTS = 400
ONE_CLIENT_POINTS = 1_000_000
CLIENTS, EACH_CLIENT_POINTS = 20, 100_000
BURST = 20_000
PEERS = ("mlflow", "wandb", "trackio", "aim")
HERE = Path(__file__).resolve().parent
PARTS = ("log", "loop", "latency", "ingest")


def log_cost(url: str) -> None:
    """Each call timed alone; the timer's own cost (an empty pair of reads) subtracted."""
    run = lossboard.init(name="bench: log cost", url=url)
    clock = time.perf_counter_ns
    empty = statistics.median(-(clock() - clock()) for _ in range(10_000))
    costs = []
    for i in range(CALLS):
        start = clock()
        run.log({"loss": 1.0 / (i + 1)})
        costs.append(clock() - start - empty)
    run.finish()
    costs.sort()
    median, p99 = costs[len(costs) // 2] / 1e3, costs[int(len(costs) * 0.99)] / 1e3
    print(f"log() on the calling thread: median {median:.2f} µs, p99 {p99:.2f} µs "
          f"over {CALLS:,} calls (target median <= 2 µs)")  # fmt: skip


def loop_ratios(url: str, peers: Path | None) -> None:
    @contextmanager
    def ours() -> Iterator[Log]:
        run = lossboard.init(name="bench: autograd loop", url=url)
        yield lambda t, v: run.log({"loss": v}, step=t)
        run.finish()

    @contextmanager
    def nothing() -> Iterator[Log]:
        yield lambda t, v: None

    print("autograd loop, 2,000 steps, logged/bare (median of paired ratios):")
    print(f"  A/A: a call that does nothing {paired_ratio(nothing):.4f} (this machine's noise)")
    print(f"  lossboard                  {paired_ratio(ours):.4f} (target <= 1.03)")
    print(f"  torch SummaryWriter        {paired_ratio(torch_tensorboard):.4f}")
    for tool in PEERS:
        print(f"  {tool:<26} {peer_ratio(peers, tool)}")


def peer_ratio(peers: Path | None, tool: str) -> str:
    python = peers / f"venv-{tool}" / "bin" / "python" if peers else None
    if python is None or not python.exists():
        return "not measured: not installed (pass --peers DIR with DIR/venv-TOOL)"
    command = [str(python), str(HERE / "sdk_loop.py"), tool]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, cwd=HERE)
    if done.returncode:
        return f"failed: {done.stderr.strip().splitlines()[-1:]}"
    return done.stdout.split()[-1]


def latency(server: LocalServer) -> None:
    """Each point's value is the wall time it was logged; the subscriber subtracts it."""
    run = lossboard.init(name="bench: latency", url=server.url)
    delays: list[float] = []
    ready = threading.Event()

    def follow() -> None:
        with connect(f"{server.ws_url}/ws/runs/{run.id}", max_size=None) as ws:
            ready.set()
            for text in ws:
                message = json.loads(text)
                if message["type"] == "points":
                    now = time.time()
                    delays.extend(now - sent for sent in message["loss"])

    follower = threading.Thread(target=follow, name="bench-follower")
    follower.start()
    ready.wait(30)
    for step in range(LATENCY_POINTS):
        run.log({"loss": time.time()}, step=step)
        time.sleep(0.01)  # a training step's pace
    run.finish()
    follower.join(60)
    ms = statistics.quantiles([d * 1e3 for d in delays], n=20)
    print(f"log() to a websocket subscriber: p50 {statistics.median(delays) * 1e3:.1f} ms, "
          f"p95 {ms[18]:.1f} ms over {len(delays)} points (target p95 <= 100 ms)")  # fmt: skip


def client(url: str, points: int, barrier: Any = None) -> float:
    """Log `points` as fast as the client sends them and finish; seconds from the first log
    to the last ack. A burst at a time, so the buffer never fills: what is sustained."""
    run = lossboard.init(name="bench: ingest", url=url)
    if barrier is not None:
        barrier.wait()  # every client has started (imports, init) before any logs
    start = time.perf_counter()
    for burst in range(0, points, BURST):
        for step in range(burst, min(points, burst + BURST)):
            run.log({"loss": 1.0 / (step + 1)})
        while run.unsent.memory > 2 * BURST:
            time.sleep(0.001)
    undelivered = run.finish(timeout=600)
    assert undelivered == 0, undelivered
    return time.perf_counter() - start


def ingest(server: LocalServer) -> None:
    """Wall-clock rates, and the CPU each side spent (steadier on a shared machine)."""
    server_cpu, client_cpu = cpu_seconds(server.proc.pid), time.process_time()
    seconds = client(server.url, ONE_CLIENT_POINTS)
    millions = ONE_CLIENT_POINTS / 1e6
    client_cpu = (time.process_time() - client_cpu) / millions
    server_cpu = (cpu_seconds(server.proc.pid) - server_cpu) / millions
    print(f"ingest, one client: {ONE_CLIENT_POINTS / seconds:,.0f} points/s "
          f"({ONE_CLIENT_POINTS:,} points, log() to the last ack; target >= 200,000); CPU per "
          f"million points: client {client_cpu:.2f} s, server {server_cpu:.2f} s")  # fmt: skip
    many_clients(server)


def many_clients(server: LocalServer) -> None:
    """CLIENTS processes log at once, each started (and its run created) before any logs."""
    server_cpu = cpu_seconds(server.proc.pid)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(CLIENTS + 1)
    clients = [context.Process(target=client, args=(server.url, EACH_CLIENT_POINTS, barrier))
               for _ in range(CLIENTS)]  # fmt: skip
    for process in clients:
        process.start()
    barrier.wait()
    start = time.perf_counter()
    for process in clients:
        process.join()
        assert process.exitcode == 0, process.exitcode
    seconds = time.perf_counter() - start
    total = CLIENTS * EACH_CLIENT_POINTS
    server_cpu = (cpu_seconds(server.proc.pid) - server_cpu) / (total / 1e6)
    print(f"ingest, {CLIENTS} clients at once: {total / seconds:,.0f} points/s in all "
          f"({total:,} points); server CPU {server_cpu:.2f} s per million points, "
          f"peak RSS {peak_rss(server) / 2**20:.0f} MiB")  # fmt: skip


def cpu_seconds(pid: int) -> float:
    """A process's user and system CPU time so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss(server: LocalServer) -> int:
    with open(f"/proc/{server.proc.pid}/status", encoding="ascii") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", type=Path, help="folder of venv-TOOL venvs (see sdk_loop.py)")
    parser.add_argument("--only", choices=PARTS, action="append", help="these parts alone")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as data, LocalServer(data) as server:
        for part in args.only or PARTS:
            if part == "log":
                log_cost(server.url)
            elif part == "loop":
                loop_ratios(server.url, args.peers)
            elif part == "latency":
                latency(server)
            else:
                ingest(server)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
