"""Memory while runs stream to followers: back-to-back `tensors` runs against a real
`lossboard serve`, each followed live by websocket subscribers and read thinned once.

Prints the server's RSS and RssAnon after each run, and the growth from the second run to the
last (target: under 15 MB over at least 20 runs). `python bench/soak.py RUNS STEPS FOLLOWERS`
changes the defaults (20 runs of 100,000 steps, 10 followers).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile

import httpx
from stream import POINTS_PREFIX, LocalServer, points_header, run_client
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedOK

from server.protocol import FINISHED_STATUSES

RUNS, STEPS, FOLLOWERS = 20, 100_000, 10
GROWTH_TARGET_MB = 15.0


def memory_mib(pid: int) -> dict[str, float]:
    """VmRSS and RssAnon of a process, in MiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        fields = dict(line.split(":", 1) for line in f)
    return {key: int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "RssAnon")}


async def follower(ws_url: str, run_id: int) -> int:
    """Follow one run to its end; how many points came, each checked in order (its other
    messages, the run and its system samples, are read and left)."""
    received = 0
    async with connect(f"{ws_url}/ws/runs/{run_id}", max_size=None) as ws:
        while True:
            try:
                raw = await ws.recv(decode=False)
            except ConnectionClosedOK:
                return received
            if raw.startswith(POINTS_PREFIX):
                start, count = points_header(raw)
                assert start == received, "a point was skipped or repeated"
                received += count


async def one_run(server: LocalServer, steps: int, followers: int) -> None:
    """A run followed live by `followers` to its end, each checking every point, then its
    losses read thinned once, as the run page does."""
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        body = {"variant": "tensors", "device": "cpu", "iterations": steps}
        run = (await http.post("/api/runs", json=body)).json()
        counts = await asyncio.gather(
            *(follower(server.ws_url, run["id"]) for _ in range(followers))
        )
        assert all(count == steps for count in counts), counts
        while (await http.get(f"/api/runs/{run['id']}")).json()["status"] not in FINISHED_STATUSES:
            await asyncio.sleep(0.1)
        thinned = await http.get(f"/api/runs/{run['id']}/losses", params={"max_points": 2000})
        assert thinned.status_code == 200 and thinned.json()["decimated"]


def main(runs: int, steps: int, followers: int) -> None:
    rss = []
    with tempfile.TemporaryDirectory() as data_dir, LocalServer(data_dir) as server:
        print(f"{runs} runs of {steps} steps (tensors), {followers} followers each")
        for i in range(runs):
            run_client(one_run(server, steps, followers))
            rss.append(memory_mib(server.proc.pid))
            print(f"  run {i + 1:>2}: RSS {rss[-1]['VmRSS']:.1f} MiB, "
                  f"RssAnon {rss[-1]['RssAnon']:.1f} MiB", flush=True)  # fmt: skip
    growth = rss[-1]["VmRSS"] - rss[1]["VmRSS"]
    anon = rss[-1]["RssAnon"] - rss[1]["RssAnon"]
    verdict = "PASS" if growth < GROWTH_TARGET_MB and runs >= 20 else "FAIL"
    print(f"growth from run 2 to run {runs}: RSS {growth:+.1f} MiB, RssAnon {anon:+.1f} MiB "
          f"-> {verdict} (< {GROWTH_TARGET_MB:.0f} MB over >= 20 runs)")  # fmt: skip


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args, *(RUNS, STEPS, FOLLOWERS)[len(args) :])
