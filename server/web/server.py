"""uvicorn's Server, made to end the runs before it closes the connections on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sys
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.main import STARTUP_FAILURE

log = logging.getLogger("uvicorn.error")
DRAIN_TIMEOUT_S = 5.0  # how long a subscriber too slow to take a run's last message can hold us


class Server(uvicorn.Server):
    """On SIGTERM or Ctrl-C, runs end `interrupted` and their subscribers hear it first.

    uvicorn closes every websocket (1012) before the app's lifespan shutdown runs, too early
    for a subscriber to be told how its run ended; this stops the runs before that.
    """

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self.app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        manager = getattr(self.app.state, "manager", None)
        if manager is not None:
            await asyncio.to_thread(manager.close)
            if not await self.app.state.hub.drained(DRAIN_TIMEOUT_S):
                log.warning("closing run followers that did not take their run's end in time")
        await super().shutdown(sockets)


def serve(app: FastAPI, **options: Any) -> None:
    """Serve the app as `uvicorn.run(app, **options)` does, through Server."""
    config = uvicorn.Config(app, **options)
    server = Server(config, app)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
