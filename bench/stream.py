"""Streaming cost: a 200,000-iteration `tensors` run with 0 and with 50 websocket subscribers.

Against a real `lossboard serve` on loopback. Prints the run's wall time in both cases and
their ratio (target <= 1.10), and the p50/p95 delay from a loss being recorded to its arrival
at a subscriber (target p95 <= 100 ms). Every subscriber must get every point.
`python bench/stream.py 3` takes the median of 3 pairs of runs instead of 5.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime

import httpx
import numpy as np
from pairs import fmt, measure_pairs
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedOK

from server.protocol import FINISHED_STATUSES

ITERATIONS, SUBSCRIBERS, REPEATS = 200_000, 50, 5
TINY = {"N": 8, "D_in": 16, "H": 16, "D_out": 1}
# The 50 subscribers share this machine's two cores with the server; torch's second OpenMP
# thread would spin against them and blur what is measured: the cost of streaming.
SERVER_ENV = {"OMP_NUM_THREADS": "1"}


class LocalServer:
    """`python -m server serve` on a free loopback port and a fresh data dir, until exit."""

    def __init__(self, data_dir: str) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url, self.ws_url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
        argv = ["serve", "--port", str(port), "--data-dir", data_dir]
        env = os.environ | SERVER_ENV | {"LOSSBOARD_LOG_LEVEL": "warning"}
        self.proc = subprocess.Popen([sys.executable, "-m", "server", *argv], env=env)

    def __enter__(self) -> LocalServer:
        for _ in range(600):  # up to a minute: the server imports torch first
            try:
                httpx.get(f"{self.url}/healthz", timeout=1).raise_for_status()
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.proc.kill()
        raise RuntimeError("the server did not answer /healthz within a minute")

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(30)


async def subscriber(ws_url: str, run_id: int, ready: asyncio.Event, delays: list | None) -> int:
    """Follow one run to its end and return how many points came, each checked in order.

    Each points message is checked from its header and its commas, which is cheap enough
    for fifty subscribers in this one client process to leave the server its CPU; with
    `delays`, every point's time is also read and its delay collected.
    """
    received, started = 0, None
    async with connect(f"{ws_url}/ws/runs/{run_id}", max_size=None) as ws:
        while True:
            try:
                raw = await ws.recv(decode=False)  # bytes: counting needs no UTF-8 decoding
            except ConnectionClosedOK:
                break
            arrived = time.time()
            if raw.startswith(POINTS_PREFIX):
                start, count = points_header(raw)
                assert start == received, "a point was skipped or repeated"
                received += count
                if delays is not None and started is not None:
                    times = times_of(raw)
                    assert len(times) == count
                    delays.append(arrived - (started + times))
                continue
            message = json.loads(raw)
            assert message["type"] == "run", message["type"]
            ready.set()
            if message["run"]["started_at"]:
                started = datetime.fromisoformat(message["run"]["started_at"]).timestamp()
    return received


POINTS_PREFIX = b'{"type":"points","start":'


def points_header(raw: bytes) -> tuple[int, int]:
    """The first step and the number of points of a points message, without parsing floats."""
    comma = raw.index(b",", len(POINTS_PREFIX))
    start = int(raw[len(POINTS_PREFIX) : comma])
    opened = raw.index(b"[", comma)
    closed = raw.index(b"]", opened)
    return start, (raw.count(b",", opened, closed) + 1 if closed > opened + 1 else 0)


def times_of(raw: bytes) -> np.ndarray:
    """The `time` array of a points message (parsed in C: a third of json.loads's cost)."""
    opened = raw.rindex(b'"time":[') + len(b'"time":[')
    return np.fromstring(raw[opened : raw.index(b"]", opened)].decode("ascii"), sep=",")


def cpu_seconds(pid: int, tid: int | None = None) -> float:
    """User + system CPU time so far of a process, or of one of its threads."""
    path = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    with open(path, encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measured_run(
    server: LocalServer, subscribers: int
) -> tuple[float, tuple[np.ndarray, float]]:
    """Queue the run behind a short one, attach the subscribers, and time the run itself.

    Returns the run's wall time, and the delays seen with the CPU seconds that the server's
    event loop (its main thread) spent meanwhile.
    """
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        body = {"variant": "tensors", "device": "cpu", **TINY}  # on a GPU machine too
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
        pid = server.proc.pid
        cpu_server, cpu_loop, cpu_client = (
            cpu_seconds(pid),
            cpu_seconds(pid, pid),
            time.process_time(),
        )
        assert (await http.get(f"/api/runs/{run['id']}")).json()["status"] == "queued"
        while (final := (await http.get(f"/api/runs/{run['id']}")).json())[
            "status"
        ] not in FINISHED_STATUSES:
            await asyncio.sleep(0.2)
        counts = await asyncio.gather(*tasks)
        cpu_server, cpu_loop = cpu_seconds(pid) - cpu_server, cpu_seconds(pid, pid) - cpu_loop
        cpu_client = time.process_time() - cpu_client
    print(
        f"  {subscribers:>2} subscribers: CPU s server {cpu_server:.2f} (event loop "
        f"{cpu_loop:.2f}), client {cpu_client:.2f}"
    )
    assert final["status"] == "completed"
    assert all(c == ITERATIONS for c in counts), counts
    started, finished = (datetime.fromisoformat(final[k]) for k in ("started_at", "finished_at"))
    wall = (finished - started).total_seconds()
    return wall, (np.concatenate(delays) if delays else np.empty(0), cpu_loop)


def main(repeats: int) -> None:
    def measure(subscribers: int) -> tuple[float, tuple[np.ndarray, float]]:
        return run_client(measured_run(server, subscribers))

    with tempfile.TemporaryDirectory() as tmp, LocalServer(tmp) as server:
        measure(0)  # warm-up
        pairs = measure_pairs(repeats, lambda: measure(0), lambda: measure(SUBSCRIBERS))
    ms = np.concatenate([d for d, _ in pairs.b_extra]) * 1000
    loop_cpu = statistics.median(cpu for _, cpu in pairs.b_extra)
    a, w = statistics.median(pairs.a), statistics.median(pairs.b)
    print(f"run of {ITERATIONS} iterations, tensors, N=8 D_in=16 H=16 D_out=1, median of {repeats}")
    print(f"wall time with 0 subscribers:  {a:.3f} s  {fmt(pairs.a)}")
    print(f"wall time with {SUBSCRIBERS} subscribers: {w:.3f} s  {fmt(pairs.b)}")
    print(f"ratio of medians: {pairs.ratio_of_medians:.3f} (target <= 1.10)")
    print(f"paired ratio: {pairs.paired_ratio:.3f}  {fmt(pairs.ratios, 3)}")
    print(f"server event loop CPU per watched run: {loop_cpu:.2f} s")
    print(f"points delivered: {SUBSCRIBERS} x {ITERATIONS} per run, each exactly once, in order")
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    print(f"delay recorded -> arrived ({len(ms)} points at 5 subscribers a run):")
    print(f"  p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms (target p95 <= 100 ms)")


def run_client(coroutine):
    """Run the subscribers on uvloop where it is installed.

    Fifty clients share this machine with the server; the cheaper they are, the more the
    figures show the server's own cost, as browsers on other machines would leave it.
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else REPEATS)
