"""Ten full exports of a million-step run at once, against a real `lossboard serve`.

Prints how many were answered and how many got 429 (max_exports, 4 by default), the server's
RSS growth, and /healthz latency percentiles while they stream, against an idle baseline.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
from stream import LocalServer

from server.store.sqlite import Store

STEPS, EXPORTS, PINGS_IDLE = 1_000_000, 10, 50


def seed_run(data_dir: str) -> int:
    """A finished million-step run, written into the store the server will open."""
    store = Store(data_dir)
    store.open()
    row = {"variant": "tensors", "config": {}, "device": "cpu", "status": "completed",
           "iteration": STEPS, "created_at": 0.0}  # fmt: skip
    run_id = store.create_run(row)
    loss, times = np.linspace(1e7, 1e-4, STEPS), np.arange(STEPS) * 1e-4
    for start in range(0, STEPS, 50_000):
        end = start + 50_000
        store.append_losses(run_id, start, loss[start:end].tobytes(), times[start:end].tobytes())
    store.close()
    return run_id


def memory_kib(pid: int, field: str) -> int:
    """VmRSS (now) or VmHWM (the most since start) of a process, in KiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field))


def ping(url: str) -> float:
    t0 = time.perf_counter()
    httpx.get(f"{url}/healthz", timeout=60).raise_for_status()
    return (time.perf_counter() - t0) * 1000


def ping_until(url: str, done: threading.Event, out: list[float]) -> None:
    while not done.is_set():
        out.append(ping(url))


def export(url: str, format: str) -> int:
    """One full export, read to its end; its status."""
    with httpx.stream("GET", url, params={"format": format}, timeout=300) as response:
        for _ in response.iter_bytes():
            pass
        return response.status_code


def percentiles(ms: list[float]) -> str:
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, max {max(ms):.1f} ms"


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir, LocalServer(data_dir) as server:
        pid, url = server.proc.pid, f"{server.url}/api/runs/{seed_run(data_dir)}/export"
        idle = [ping(server.url) for _ in range(PINGS_IDLE)]
        rss_start = memory_kib(pid, "VmRSS:")
        done, loaded = threading.Event(), []
        pinger = threading.Thread(target=ping_until, args=(server.url, done, loaded))
        pinger.start()
        t0 = time.perf_counter()
        with ThreadPoolExecutor(EXPORTS) as pool:
            statuses = list(pool.map(lambda i: export(url, ("csv", "json")[i % 2]), range(EXPORTS)))
        took = time.perf_counter() - t0
        done.set()
        pinger.join()
        growth_mib = (memory_kib(pid, "VmHWM:") - rss_start) / 1024
    answered, refused = statuses.count(200), statuses.count(429)
    print(f"{EXPORTS} exports of {STEPS:,} steps at once (csv and json): "
          f"{answered} answered, {refused} x 429, in {took:.1f} s")  # fmt: skip
    print(f"server RSS: {rss_start / 1024:.0f} MiB at start, peak growth {growth_mib:.0f} MiB")
    print(f"/healthz idle:      {percentiles(idle)}")
    print(f"/healthz meanwhile: {percentiles(loaded)} over {len(loaded)} requests")
    print(f"p50 meanwhile / idle: {statistics.median(loaded) / statistics.median(idle):.1f}x")


if __name__ == "__main__":
    main()
