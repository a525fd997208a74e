"""Reading a run back from a real server: every stored point of a series, and the stream."""

from __future__ import annotations

import json
import struct
from urllib.parse import quote

import httpx
from websockets.sync.client import connect

from tests.helpers import Loopback


def stored(server: Loopback, run_id: int, name: str, token: str | None = None) -> dict:
    """Every stored point of a series: {"step": [...], "value": [...]}, page after page."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    steps: list[int] = []
    values: list[float | None] = []
    after = -1
    while after is not None:
        url = f"{server.url}/api/runs/{run_id}/series/{quote(name)}"
        page = httpx.get(url, params={"after": after}, headers=headers, timeout=30).json()
        steps += page["step"]
        values += page["value"]
        after = page["next_after"]
    return {"step": steps, "value": values}


def streamed(server: Loopback, run_id: int) -> dict[str, list[tuple[int, float | None]]]:
    """Every point the run's websocket sends until the run ends, by series, in arrival order."""
    points: dict[str, list[tuple[int, float | None]]] = {}
    with connect(f"{server.ws_url}/ws/runs/{run_id}", max_size=None, open_timeout=30) as ws:
        for text in ws:
            message = json.loads(text)
            if message["type"] == "points":
                start = message["start"]
                steps = message.get("step") or range(start, start + len(message["loss"]))
                points.setdefault("loss", []).extend(zip(steps, message["loss"], strict=True))
            elif message["type"] == "series":
                series = points.setdefault(message["name"], [])
                series.extend(zip(message["step"], message["value"], strict=True))
    return points


def bits(values: list[float | None]) -> list[bytes | None]:
    """Each float's 8 bytes, to compare doubles bit for bit (-0.0 and 0.0 differ)."""
    return [None if v is None else struct.pack("<d", v) for v in values]
