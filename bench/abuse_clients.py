"""The hostile clients of bench/abuse.py, each bounded in count and in time, all to 127.0.0.1:
a huge header, slowloris heads, /ws/runs subscribers beside a queue of short runs, and full
/losses pages at once."""

from __future__ import annotations

import asyncio
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

MIB = 2**20
HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
TINY_RUN = {"variant": "numpy", "iterations": 20, "N": 8, "D_in": 16, "H": 16, "D_out": 1}


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def huge_header(url: str, size: int) -> str:
    """Send one header of `size` bytes (or until the server cuts in); its answer's first line."""
    with socket.create_connection(("127.0.0.1", port_of(url)), timeout=30) as sock:
        try:
            sock.sendall(HEAD + b"X-Big: ")
            for _ in range(size // MIB):
                sock.sendall(b"a" * MIB)
            sock.sendall(b"\r\n\r\n")
        except OSError:
            pass  # cut off: the answer, if any, is already here
        try:
            return sock.recv(4096).split(b"\r\n", 1)[0].decode() or "closed"
        except OSError as exc:
            return type(exc).__name__


def huge_headers(url: str, ws_url: str, run_id: int, clients: int = 4, size: int = 200 * MIB,
                 seconds: float = 10) -> str:  # fmt: skip
    """`clients` connections at a time, each sending a `size`-byte header, again and again
    for `seconds` (at most 5,000 each)."""

    def attack(_: int) -> list[str]:
        deadline, answers = time.monotonic() + seconds, []
        while time.monotonic() < deadline and len(answers) < 5000:
            answers.append(huge_header(url, size))
        return answers

    with ThreadPoolExecutor(clients) as pool:
        answers = [a for each in pool.map(attack, range(clients)) for a in each]
    return (f"{len(answers)} headers of {size // MIB} MiB, {clients} at a time: answered "
            f"{sorted(set(answers))}")  # fmt: skip


def slowloris(url: str, ws_url: str, run_id: int, connections: int = 1500,
              seconds: float = 14.0) -> str:  # fmt: skip
    """Open `connections` and trickle their heads a byte every second for `seconds`."""
    socks, opened, refused = [], 0, 0
    for _ in range(connections):
        try:
            sock = socket.create_connection(("127.0.0.1", port_of(url)), timeout=5)
            sock.sendall(HEAD)
            sock.setblocking(False)
            socks.append(sock)
            opened += 1
        except OSError:
            refused += 1
    deadline, closed = time.monotonic() + seconds, set()
    while time.monotonic() < deadline:
        for i, sock in enumerate(socks):
            if i not in closed and not trickle(sock):
                closed.add(i)
        time.sleep(1.0)
    for sock in socks:
        sock.close()
    return (f"{connections} slow heads for {seconds:.0f} s: {opened} opened, {refused} refused, "
            f"{len(closed)} closed by the server")  # fmt: skip


def trickle(sock: socket.socket) -> bool:
    """Send one more byte of a head; False once the server has answered or closed it."""
    try:
        if sock.recv(4096, socket.MSG_PEEK):
            return False  # a 503 (past the cap), then its close
        return False  # b"": closed
    except BlockingIOError:
        pass
    except OSError:
        return False
    try:
        sock.send(b"X")
    except OSError:
        return False
    return True


def fan_out(url: str, ws_url: str, run_id: int, subscribers: int = 200, runs: int = 1000) -> str:
    """`subscribers` on /ws/runs while `runs` short runs are queued; how long they drain."""
    return asyncio.run(fan_out_async(url, ws_url, subscribers, runs))


async def fan_out_async(url: str, ws_url: str, subscribers: int, runs: int) -> str:
    stop, counts = asyncio.Event(), [0] * subscribers
    readers = [asyncio.create_task(follow_all(ws_url, stop, counts, i)) for i in range(subscribers)]
    await asyncio.sleep(1.0)  # let them connect
    t0 = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        ids = [(await client.post("/api/runs", json=TINY_RUN)).json()["id"] for _ in range(runs)]
        while (await client.get("/api/runs", params={"status": "completed", "limit": 1})).json()[
            "total"
        ] < len(ids) and time.perf_counter() - t0 < 300:
            await asyncio.sleep(0.5)
    drained = time.perf_counter() - t0
    stop.set()
    await asyncio.gather(*readers, return_exceptions=True)
    closed = sum(1 for c in counts if c < 0)
    return (f"{subscribers} /ws/runs subscribers, {runs} short runs: queued and drained in "
            f"{drained:.1f} s; {closed} subscribers closed by the server")  # fmt: skip


async def follow_all(ws_url: str, stop: asyncio.Event, counts: list[int], i: int) -> None:
    """Read /ws/runs until `stop`; counts[i] is the messages read, -1 if the server closed."""
    try:
        async with connect(f"{ws_url}/ws/runs", max_size=None) as ws:
            while not stop.is_set():
                try:
                    await asyncio.wait_for(ws.recv(decode=False), 0.5)
                    counts[i] += 1
                except TimeoutError:
                    continue
    except ConnectionClosed:
        counts[i] = -1


def full_pages(url: str, ws_url: str, run_id: int, clients: int = 30) -> str:
    """`clients` full /losses pages of one run at once."""

    def page(_: int) -> int:
        return httpx.get(f"{url}/api/runs/{run_id}/losses", timeout=300).status_code

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        statuses = list(pool.map(page, range(clients)))
    took = time.perf_counter() - t0
    return f"{clients} full /losses pages at once: {statuses.count(200)} x 200 in {took:.1f} s"


def export(url: str, format: str) -> int:
    """One full export, read to its end; its status."""
    with httpx.stream("GET", url, params={"format": format}, timeout=300) as response:
        for _ in response.iter_bytes():
            pass
        return response.status_code


def exports(url: str, ws_url: str, run_id: int, count: int = 10) -> str:
    """`count` full exports of one run at once, csv and json."""
    target = f"{url}/api/runs/{run_id}/export"
    with ThreadPoolExecutor(count) as pool:
        statuses = list(pool.map(lambda i: export(target, ("csv", "json")[i % 2]), range(count)))
    return f"{count} exports at once: {statuses.count(200)} x 200, {statuses.count(429)} x 429"
