"""Serving a websocket: accept it, refuse another site's page, run the stream until it ends or
the client leaves, then close with the stream's code."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

from server.protocol import CloseCode
from server.web.deps import same_origin
from server.web.stream import Send

log = logging.getLogger("lossboard.stream")


async def serve_socket(
    websocket: WebSocket, work: Callable[[Send], Coroutine[Any, Any, CloseCode]]
) -> None:
    """Accept, check the Origin, run `work` until it ends or the client leaves, then close."""
    await websocket.accept()
    if not same_origin(websocket):
        await websocket.close(CloseCode.FORBIDDEN, "cross-origin websockets are refused")
        return
    limit = websocket.app.state.settings.max_subscribers
    if websocket.app.state.hub.subscribers() >= limit:
        reason = f"over {limit} followers at once (LOSSBOARD_MAX_SUBSCRIBERS): try again later"
        await websocket.close(CloseCode.BUSY, reason)
        return

    worker = asyncio.create_task(work(websocket.send_text))
    listener = asyncio.create_task(wait_disconnect(websocket))
    done, _ = await asyncio.wait({worker, listener}, return_when=asyncio.FIRST_COMPLETED)
    for task in (worker, listener):
        task.cancel()
    if worker not in done:
        return  # the client left
    code = CloseCode.ERROR
    if (error := worker.exception()) is None:
        code = worker.result()
    elif not isinstance(error, (OSError, RuntimeError, WebSocketDisconnect)):  # not a lost peer
        log.error("websocket stream failed", exc_info=error)
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await websocket.close(code)


async def wait_disconnect(websocket: WebSocket) -> None:
    """Return when the client goes away; anything it sends is ignored."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
