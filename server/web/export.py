"""Downloads of a run's losses, streamed a piece at a time as the store gives them."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import orjson
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from server.web.schemas import run_public

Pieces = Iterable[tuple[np.ndarray, ...]]  # (steps, losses, times) arrays


class Download(StreamingResponse):
    """A streamed attachment that gives its slot back however it ends (done, or the client
    gone); while it streams, the slot counts against the server's max_exports."""

    def __init__(
        self, content: Iterator[bytes], slot: threading.BoundedSemaphore, **kw: Any
    ) -> None:
        super().__init__(content, **kw)
        self.slot = slot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.slot.release()


def csv_chunks(pieces: Pieces) -> Iterator[bytes]:
    """step,loss,time rows under that header; repr keeps every digit of each float."""
    yield b"step,loss,time\n"
    for steps, loss, times in pieces:
        columns = steps.tolist(), loss.tolist(), times.tolist()
        yield "".join(f"{i},{v!r},{t!r}\n" for i, v, t in zip(*columns, strict=True)).encode()


def json_chunks(run: dict, pieces: Pieces) -> Iterator[bytes]:
    """{"run": RunPublic, "rows": [{"step", "loss", "time"}, ...]}, written as it is read."""
    yield orjson.dumps({"run": run_public(run), "rows": []})[: -len(b"]}")]
    separator = b""
    for steps, loss, times in pieces:
        columns = steps.tolist(), loss.tolist(), times.tolist()
        rows = [{"step": i, "loss": v, "time": t} for i, v, t in zip(*columns, strict=True)]
        yield separator + orjson.dumps(rows)[1:-1]
        separator = b","
    yield b"]}"
