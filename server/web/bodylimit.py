"""A request body over the limit gets 413 before it is read: by its Content-Length, or as it
streams in (chunked). Starlette's RequestBodyLimitMiddleware answers in plain text, and only once
the app reads the body or answers; the API's errors are JSON, and an oversized request is refused
at once.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """Raised as the body passes the limit; FastAPI's handlers answer it as JSON."""

    def __init__(self, limit: int) -> None:
        detail = f"the request body is over the limit of {limit} bytes (LOSSBOARD_MAX_BODY_BYTES)"
        super().__init__(413, detail)


class BodyLimit:
    """Refuses an HTTP request whose body is over `limit` bytes."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if declared_length(scope) > self.limit:
            await self.refuse(scope, receive, send)
            return
        received, started = 0, False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise BodyTooLarge(self.limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await self.refuse(scope, receive, send)

    async def refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = BodyTooLarge(self.limit)
        await JSONResponse({"detail": error.detail}, 413)(scope, receive, send)


def declared_length(scope: Scope) -> int:
    """The request's Content-Length, or 0 without one (the server rejects a malformed one)."""
    value = Headers(scope=scope).get("content-length", "0")
    return int(value) if value.isdigit() else 0
