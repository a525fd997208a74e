"""uvicorn's h11 protocol with a cap on connections and a deadline on each request's head.

httptools (uvicorn's default parser) grows a header value without bound and in quadratic time,
before any ASGI middleware can refuse it; h11 stops at `h11_max_incomplete_event_size`. What
neither does: drop a client that sends its head a byte a minute (slowloris), or refuse a
connection past a cap before the process runs out of file descriptors.
"""

from __future__ import annotations

import asyncio
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("uvicorn.error")
LINGER_S = 1.0  # how long a refused connection is read from, so the client sees its 503
REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\nretry-after: 1\r\ncontent-length: %d\r\n\r\n%s"
)


def refusal(max_connections: int) -> bytes:
    """The whole 503 response to a connection past the cap."""
    text = f"over {max_connections} connections at once (LOSSBOARD_MAX_CONNECTIONS)".encode()
    return REFUSAL % (len(text), text)


class GuardedH11Protocol(H11Protocol):
    """Refuses connections past `max_connections`; closes a head `head_timeout_s` late."""

    max_connections = 1000
    head_timeout_s = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.head_timer: asyncio.TimerHandle | None = None
        self.refused = len(self.connections) >= self.max_connections
        if self.refused:
            self.transport = transport
            transport.write(refusal(self.max_connections))
            self.loop.call_later(LINGER_S, transport.close)
            return
        super().connection_made(transport)
        self.head_timer = self.loop.call_later(self.head_timeout_s, self.head_timed_out)

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return  # read and dropped: closing with unread data would reset the 503 away
        if self.head_timer is None and self.conn.their_state is h11.IDLE:
            self.head_timer = self.loop.call_later(self.head_timeout_s, self.head_timed_out)
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the head arrived (or the connection failed)
            self.cancel_head_timer()

    def eof_received(self) -> None:
        if self.refused:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.cancel_head_timer()
        if self.refused:
            return
        super().connection_lost(exc)

    def cancel_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def head_timed_out(self) -> None:
        """Drop the connection: its request line and headers took too long."""
        self.head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            log.debug("closing a connection whose request head took over %ss", self.head_timeout_s)
            self.transport.close()


def guarded_protocol(max_connections: int, head_timeout_s: float) -> type[GuardedH11Protocol]:
    """GuardedH11Protocol with these limits, as the class uvicorn's `http` option takes."""
    limits = {"max_connections": max_connections, "head_timeout_s": head_timeout_s}
    return type("GuardedH11Protocol", (GuardedH11Protocol,), limits)
