"""The red team's scenarios against a real `lossboard serve`, each on a fresh server: a huge
header, slowloris heads, /ws/runs fan-out beside a queue of short runs, full /losses pages at
once, and full exports at once.

Prints, for each, what the clients got, /healthz p50 and p99 (and the worst) while it ran, and
the server's peak RSS growth. Targets: /healthz p99 under 250 ms, no /healthz over 1 s, RSS
growth under 100 MB. `python bench/abuse.py header losses` runs only those scenarios.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import abuse_clients as clients
import httpx
import numpy as np
from stream import LocalServer

from server.store.sqlite import Store

STEPS = 1_000_000
P99_TARGET_MS, STALL_MS, RSS_TARGET_MB = 250.0, 1000.0, 100.0
PING_TIMEOUT_S = 10.0


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


def ping_ms(client: httpx.Client) -> float:
    t0 = time.perf_counter()
    client.get("/healthz").raise_for_status()
    return (time.perf_counter() - t0) * 1000


def memory_kib(pid: int, field: str) -> int:
    """VmRSS (now) or VmHWM (the most since start or since its reset) of a process, in KiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field))


class Watch:
    """/healthz latencies and statuses, and the server's peak RSS growth, while it is open."""

    def __init__(self, server: LocalServer) -> None:
        self.url, self.pid = server.url, server.proc.pid
        # one client, its connection kept: a new one per ping costs more than /healthz itself
        self.client = httpx.Client(base_url=server.url, timeout=PING_TIMEOUT_S)
        self.ms: list[float] = []
        self.statuses: list[int] = []
        self.done = threading.Event()
        self.pinger = threading.Thread(target=self.ping_until_done, name="healthz-pinger")

    def __enter__(self) -> Watch:
        for _ in range(5):  # warm: the first requests pay for connecting and importing
            ping_ms(self.client)
        self.idle = [ping_ms(self.client) for _ in range(20)]
        with open(f"/proc/{self.pid}/clear_refs", "w", encoding="ascii") as f:
            f.write("5")  # resets VmHWM to the RSS now
        self.rss_start = memory_kib(self.pid, "VmRSS:")
        self.pinger.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.pinger.join()
        self.client.close()
        self.growth_mb = (memory_kib(self.pid, "VmHWM:") - self.rss_start) / 1024

    def ping_until_done(self) -> None:
        while not self.done.is_set():
            t0 = time.perf_counter()
            try:
                status = self.client.get("/healthz").status_code
            except httpx.HTTPError:
                status = 0
            self.ms.append((time.perf_counter() - t0) * 1000)
            self.statuses.append(status)
            time.sleep(0.05)

    def report(self, name: str, outcome: str) -> None:
        p50, p99 = np.percentile(self.ms, [50, 99])
        others = {s: self.statuses.count(s) for s in sorted(set(self.statuses)) if s != 200}
        held = p99 < P99_TARGET_MS and max(self.ms) < STALL_MS and self.growth_mb < RSS_TARGET_MB
        print(f"[{name}] {outcome}")
        print(f"  /healthz idle before: p50 {np.percentile(self.idle, 50):.1f} ms")
        print(f"  /healthz: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(self.ms):.1f} ms over "
              f"{len(self.ms)} requests; not 200: {others or 'none'}")  # fmt: skip
        print(f"  peak RSS growth {self.growth_mb:.0f} MiB -> {'PASS' if held else 'FAIL'} "
              f"(p99 < {P99_TARGET_MS:.0f} ms, none over {STALL_MS:.0f} ms, RSS < "
              f"{RSS_TARGET_MB:.0f} MB)")  # fmt: skip


SCENARIOS: dict[str, Callable[[str, str, int], str]] = {
    "header": clients.huge_headers,
    "slowloris": clients.slowloris,
    "fan-out": clients.fan_out,
    "losses": clients.full_pages,
    "exports": clients.exports,
}


def run(name: str) -> None:
    """One scenario on a fresh server whose store holds a million-step run."""
    with tempfile.TemporaryDirectory() as data_dir:
        run_id = seed_run(data_dir)
        # the clients in a process of their own: their work must not slow the pinger here
        with LocalServer(data_dir) as server, ProcessPoolExecutor(1) as pool, Watch(server) as w:
            outcome = pool.submit(SCENARIOS[name], server.url, server.ws_url, run_id).result()
    w.report(name, outcome)


def main() -> None:
    for name in sys.argv[1:] or SCENARIOS:
        run(name)


if __name__ == "__main__":
    main()
