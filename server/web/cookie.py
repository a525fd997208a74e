"""The browser's login cookie: its name, and setting and clearing it; it holds a session id."""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import Response

from server.settings import Settings


def cookie_name(settings: Settings) -> str:
    """Cookies ignore ports: two servers on one host each keep their own."""
    return f"lossboard-auth-{settings.port}"


def session_of(conn: HTTPConnection, settings: Settings) -> str:
    """The session id the request's cookie holds, or ''."""
    return conn.cookies.get(cookie_name(settings), "")


def set_cookie(response: Response, conn: HTTPConnection, settings: Settings, session: str) -> None:
    """Log the browser in: HttpOnly, SameSite=Lax, Secure when it came over HTTPS."""
    response.set_cookie(
        cookie_name(settings), session, max_age=settings.session_max_age_s,
        path="/", secure=conn.url.scheme == "https", httponly=True, samesite="lax",
    )  # fmt: skip


def clear_cookie(response: Response, conn: HTTPConnection, settings: Settings) -> None:
    """Log the browser out."""
    response.delete_cookie(
        cookie_name(settings), path="/", secure=conn.url.scheme == "https", httponly=True,
        samesite="lax",
    )  # fmt: skip
