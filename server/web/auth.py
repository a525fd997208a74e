"""The token guard: with a token configured, every route but /healthz and /static/ needs it.

A middleware, so a route added later is guarded without being listed anywhere. Scripts send
`Authorization: Bearer T`. A browser logs in once by opening any page as ?token=T, which starts
a session (`server.web.sessions`), sets its id in the cookie of `server.web.cookie` and takes
the token out of the URL; it sends that cookie until the session ends. Anywhere else a token
in the URL is refused: logs and browser history keep URLs.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlunsplit

from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from server.protocol import CloseCode
from server.settings import Settings
from server.web.attempts import Attempts
from server.web.cookie import session_of, set_cookie
from server.web.rendering import local_path, login_page
from server.web.sessions import Sessions

OPEN_PATHS = ("/healthz",)
OPEN_PREFIXES = ("/static/",)  # files that hold no data, and that the login page needs
API_PREFIXES = ("/api/", "/ws/")  # never a page: no login there, and 401s in JSON
NEEDED = "a valid token is required: send 'Authorization: Bearer <token>'"
IN_URL = "a token in the URL (?token=) is refused: send 'Authorization: Bearer <token>'"
WRONG = "That is not this server's token."


class TokenGuard:
    """Answers 401 (close code 4401 on a websocket) unless the request carries the token."""

    def __init__(self, app: ASGIApp, settings: Settings, sessions: Sessions) -> None:
        self.app = app
        self.settings = settings
        self.sessions = sessions
        self.attempts = Attempts(settings.max_token_failures)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self.is_open(scope):
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        address = conn.client.host if conn.client else ""
        if (wait := self.attempts.retry_after(address)) is not None:
            answer = too_many(conn, wait)
        elif "token" in conn.query_params:
            answer = self.login(conn, address) if is_page(conn) else refusal(conn, IN_URL)
        elif self.authenticated(conn, address):
            await self.app(scope, receive, send)
            return
        else:
            answer = refusal(conn, NEEDED)
        await answer(scope, receive, send)

    def is_open(self, scope: Scope) -> bool:
        """True without a token configured, and for the paths anyone may fetch."""
        path = route_path(scope)
        return not self.settings.token or path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)

    def authenticated(self, conn: HTTPConnection, address: str) -> bool:
        """The bearer header is the token, or the login cookie holds a live session; a wrong
        bearer counts against the address."""
        given = bearer(conn)
        if self.matches(given):
            return True
        if given.strip():
            self.attempts.failed(address)
        return self.sessions.valid(session_of(conn, self.settings))

    def matches(self, given: str) -> bool:
        """An empty or blank token never matches."""
        token, given = self.settings.token or "", given.strip()
        return bool(given) and hmac.compare_digest(given.encode(), token.encode())

    def login(self, conn: HTTPConnection, address: str) -> ASGIApp:
        """?token=T on a page: the right token starts a session in the cookie, then redirects
        to the URL without it."""
        if not self.matches(conn.query_params["token"]):
            self.attempts.failed(address)
            return login_page(Request(conn.scope), WRONG)
        url = conn.url.remove_query_params("token")
        response = RedirectResponse(urlunsplit(("", "", local_path(url.path), url.query, "")), 303)
        set_cookie(response, conn, self.settings, self.sessions.start())
        return response


class SocketRefusal:
    """Accept, then close with 4401 and `reason`: a browser sees the code of a refused handshake."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        await websocket.close(CloseCode.UNAUTHORIZED, self.reason)


def refusal(conn: HTTPConnection, detail: str) -> ASGIApp:
    """401 as the asker reads it: a close code, the login page, or JSON."""
    if conn.scope["type"] == "websocket":
        return SocketRefusal(detail)
    if is_page(conn) and "text/html" in conn.headers.get("accept", ""):
        return login_page(Request(conn.scope), "")
    headers = {"WWW-Authenticate": "Bearer"}
    return JSONResponse({"detail": detail}, status_code=401, headers=headers)


def too_many(conn: HTTPConnection, wait: int) -> ASGIApp:
    """429 to an address with too many wrong tokens of late, saying when to try again."""
    detail = f"too many wrong tokens from {conn.client.host if conn.client else 'here'}: retry "
    detail += f"in {wait} s (LOSSBOARD_MAX_TOKEN_FAILURES a minute)"
    if conn.scope["type"] == "websocket":
        return SocketRefusal(detail)
    return JSONResponse({"detail": detail}, status_code=429, headers={"Retry-After": str(wait)})


def is_page(conn: HTTPConnection) -> bool:
    """A GET outside the API: what a browser opens, and where it may log in."""
    method = conn.scope.get("method")
    return method in ("GET", "HEAD") and not route_path(conn.scope).startswith(API_PREFIXES)


def bearer(conn: HTTPConnection) -> str:
    """The token of an `Authorization: Bearer T` header, or ''."""
    scheme, _, given = conn.headers.get("authorization", "").partition(" ")
    return given if scheme.lower() == "bearer" else ""


def route_path(scope: Scope) -> str:
    """The path the app routes on, without the prefix a proxy serves it under."""
    root, path = scope.get("root_path", ""), scope["path"]
    return path[len(root) :] if root and path.startswith(root) else path
