"""Headers every answer carries, /docs and refusals included: no framing, no sniffing, no
Referer sent to other sites (a page's URL can name runs and sweeps)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# frame-ancestors alone: a page's own, fuller policy (server.web.routes.pages) stays as it is
FRAMING = "frame-ancestors 'none'"
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # no-referrer would send a form's Origin as "null"
    "X-Frame-Options": "DENY",  # what browsers without CSP's frame-ancestors read
}


class SecurityHeaders:
    """Adds ALWAYS, and FRAMING as the CSP of any answer that has none, to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", FRAMING)
            await send(message)

        await self.app(scope, receive, send_with_headers)
