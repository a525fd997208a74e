"""Playground latency: a typical tutorial cell through the HTTP route and the sandbox pool.

Prints p50/p95 latency of the view cell over 200 sequential requests through
POST /api/playground/eval (targets: p50 at most 30 ms, p95 at most 60 ms), the same measured
on SandboxPool.evaluate alone, and requests per second with 2 concurrent clients.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.playground.sandbox import SandboxPool
from server.web.metrics import Metrics
from server.web.routes.playground import router

CELL = "x = torch.randn(4,4)\ny = x.view(16)\nz = x.view(-1,8)\nz"
REQUESTS, WARM_UP, CLIENTS = 200, 20, 2


def percentiles(samples_ms: list[float]) -> str:
    """p50 and p95 of some latencies, as text."""
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    return f"p50 {statistics.median(ordered):6.1f} ms   p95 {p95:6.1f} ms"


def sequential(evaluate: Callable[[], None]) -> list[float]:
    """Latencies in ms of REQUESTS calls one after the other, after a warm-up."""
    for _ in range(WARM_UP):
        evaluate()
    samples = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        evaluate()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def concurrent(evaluate: Callable[[], None]) -> float:
    """Requests per second with CLIENTS threads each sending REQUESTS // CLIENTS cells."""

    def client() -> None:
        for _ in range(REQUESTS // CLIENTS):
            evaluate()

    threads = [threading.Thread(target=client, name=f"bench-client-{i}") for i in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return REQUESTS / (time.perf_counter() - started)


def main() -> None:
    with SandboxPool(workers=CLIENTS) as pool:
        app = FastAPI()
        app.include_router(router)
        app.state.playground = pool
        app.state.metrics = Metrics()
        with TestClient(app) as client:

            def through_route() -> None:
                response = client.post("/api/playground/eval", json={"code": CELL})
                assert response.status_code == 200, response.text

            def through_pool() -> None:
                pool.evaluate(CELL)

            print(f"view cell, {REQUESTS} sequential requests:")
            print(f"  HTTP route     {percentiles(sequential(through_route))}")
            print(f"  pool.evaluate  {percentiles(sequential(through_pool))}")
            rate = concurrent(through_route)
            print(f"{CLIENTS} concurrent clients through the route: {rate:.0f} requests/s")


if __name__ == "__main__":
    main()
