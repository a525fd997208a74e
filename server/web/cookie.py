"""The browser's login cookie: its name, its value (an HMAC of the token), setting and clearing it.

The value is derived from the token, never the token itself: it survives a restart with the same
token and stops working when the token changes.
"""

from __future__ import annotations

import hashlib
import hmac

from starlette.requests import HTTPConnection
from starlette.responses import Response

from server.settings import Settings

MAX_AGE_S = 30 * 24 * 3600
PURPOSE = b"lossboard login cookie v1"  # what the HMAC signs: a cookie is good for nothing else


def cookie_name(settings: Settings) -> str:
    """Cookies ignore ports: two servers on one host each keep their own."""
    return f"lossboard-auth-{settings.port}"


def cookie_value(token: str) -> str:
    """The cookie that proves a browser was given `token`."""
    return hmac.new(token.encode(), PURPOSE, hashlib.sha256).hexdigest()


def has_cookie(conn: HTTPConnection, settings: Settings) -> bool:
    """True when the request carries the cookie of the configured token."""
    if not settings.token:
        return False
    given = conn.cookies.get(cookie_name(settings), "")
    return hmac.compare_digest(given.encode(), cookie_value(settings.token).encode())


def set_cookie(response: Response, conn: HTTPConnection, settings: Settings) -> None:
    """Log the browser in: HttpOnly, SameSite=Lax, Secure when it came over HTTPS."""
    assert settings.token, "only a server with a token logs browsers in"
    response.set_cookie(
        cookie_name(settings), cookie_value(settings.token), max_age=MAX_AGE_S,
        path="/", secure=conn.url.scheme == "https", httponly=True, samesite="lax",
    )  # fmt: skip


def clear_cookie(response: Response, conn: HTTPConnection, settings: Settings) -> None:
    """Log the browser out."""
    response.delete_cookie(
        cookie_name(settings), path="/", secure=conn.url.scheme == "https", httponly=True,
        samesite="lax",
    )  # fmt: skip
