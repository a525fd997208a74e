"""Streaming cost: a 200,000-iteration `tensors` run with 0 and with 50 websocket subscribers.

Against a real `lossboard serve` on loopback. Prints the run's wall time in both cases and
their ratio (target <= 1.10), and the p50/p95 delay from a loss being recorded to its arrival
at a subscriber (target p95 <= 100 ms). Every subscriber must get every point.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
import numpy as np
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.server_process import ServerProcess

ITERATIONS, SUBSCRIBERS, REPEATS = 200_000, 50, 5
TINY = {"N": 8, "D_in": 16, "H": 16, "D_out": 1}
# The 50 subscribers share this machine's two cores with the server; torch's second OpenMP
# thread would spin against them and blur what is measured: the cost of streaming.
SERVER_ENV = {"OMP_NUM_THREADS": "1"}
FINISHED = ("completed", "cancelled", "failed", "diverged", "interrupted")


async def subscriber(ws_url: str, run_id: int, ready: asyncio.Event, delays: list | None) -> int:
    """Follow one run to its end and return how many points came, each checked in order.

    With `delays`, parse every point and collect its delay; without, only count points (so
    fifty subscribers in this one client process do not starve the server of CPU).
    """
    received, started = 0, None
    async with connect(f"{ws_url}/ws/runs/{run_id}", max_size=None) as ws:
        async for raw in ws:
            arrived = time.time()
            if delays is None and raw.startswith(POINTS_PREFIX):
                start, count = points_header(raw)
                assert start == received, "a point was skipped or repeated"
                received += count
                continue
            message = json.loads(raw)
            if message["type"] == "run":
                ready.set()
                if message["run"]["started_at"]:
                    started = datetime.fromisoformat(message["run"]["started_at"]).timestamp()
                continue
            assert message["start"] == received, "a point was skipped or repeated"
            received += len(message["loss"])
            if started is not None and delays is not None:
                delays.append(arrived - (started + np.asarray(message["time"])))
    return received


POINTS_PREFIX = '{"type":"points","start":'


def points_header(raw: str) -> tuple[int, int]:
    """The first step and the number of points of a points message, without parsing floats."""
    comma = raw.index(",", len(POINTS_PREFIX))
    start = int(raw[len(POINTS_PREFIX) : comma])
    opened = raw.index("[", comma)
    closed = raw.index("]", opened)
    return start, (raw.count(",", opened, closed) + 1 if closed > opened + 1 else 0)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measured_run(server: ServerProcess, subscribers: int) -> tuple[float, np.ndarray]:
    """Queue the run behind a short one, attach the subscribers, and time the run itself."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        body = {"variant": "tensors", **TINY}
        await http.post("/api/runs", json={**body, "iterations": 30_000})  # holds the queue
        run = (await http.post("/api/runs", json={**body, "iterations": ITERATIONS})).json()
        delays: list[np.ndarray] = []
        readies = [asyncio.Event() for _ in range(subscribers)]
        tasks = [  # every tenth subscriber measures delays; all of them check every point
            asyncio.create_task(
                subscriber(server.ws_url, run["id"], ready, delays if i % 10 == 0 else None)
            )
            for i, ready in enumerate(readies)
        ]
        for ready in readies:
            await ready.wait()
        cpu_server, cpu_client = cpu_seconds(server.proc.pid), time.process_time()
        assert (await http.get(f"/api/runs/{run['id']}")).json()["status"] == "queued"
        while (final := (await http.get(f"/api/runs/{run['id']}")).json())[
            "status"
        ] not in FINISHED:
            await asyncio.sleep(0.2)
        counts = await asyncio.gather(*tasks)
        cpu_server = cpu_seconds(server.proc.pid) - cpu_server
        cpu_client = time.process_time() - cpu_client
    print(f"  {subscribers} subscribers: CPU s server {cpu_server:.2f}, client {cpu_client:.2f}")
    assert final["status"] == "completed"
    assert all(c == ITERATIONS for c in counts), counts
    started, finished = (datetime.fromisoformat(final[k]) for k in ("started_at", "finished_at"))
    wall = (finished - started).total_seconds()
    return wall, np.concatenate(delays) if delays else np.empty(0)


async def main() -> None:
    alone, watched, delays = [], [], []
    with tempfile.TemporaryDirectory() as tmp, ServerProcess(Path(tmp), env=SERVER_ENV) as server:
        await measured_run(server, 0)  # warm-up
        for _ in range(REPEATS):  # interleaved, so drift in the machine hits both alike
            alone.append((await measured_run(server, 0))[0])
            wall, d = await measured_run(server, SUBSCRIBERS)
            watched.append(wall)
            delays.append(d)
    ms = np.concatenate(delays) * 1000
    a, w = statistics.median(alone), statistics.median(watched)
    print(f"run of {ITERATIONS} iterations, tensors, N=8 D_in=16 H=16 D_out=1, median of {REPEATS}")
    print(f"wall time with 0 subscribers:  {a:.3f} s  {fmt(alone)}")
    print(f"wall time with {SUBSCRIBERS} subscribers: {w:.3f} s  {fmt(watched)}")
    print(f"ratio: {w / a:.3f} (target <= 1.10)")
    print(f"points delivered: {SUBSCRIBERS} x {ITERATIONS} per run, each exactly once, in order")
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    print(f"delay recorded -> arrived ({len(ms)} points at 5 subscribers a run):")
    print(f"  p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms (target p95 <= 100 ms)")


def fmt(values: list[float]) -> str:
    return "(" + ", ".join(f"{v:.2f}" for v in values) + ")"


if __name__ == "__main__":
    asyncio.run(main())
