"""Rendering a page: the templates with the page's data for its JS, the headers that keep it to
this host (CSP), the login form, and the /static app with its caching."""

from __future__ import annotations

import os

from fastapi import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from server.web.assets import STATIC_DIR, templates
from server.web.deps import get_settings

# A static() URL names the file's content (?v=hash), so it may be cached for good; a bare URL
# (an ES module's own imports) must be revalidated, which ETag/Last-Modified make cheap.
CACHE_VERSIONED = "public, max-age=31536000, immutable"
CACHE_BARE = "public, max-age=0, must-revalidate"
# Everything comes from this host: a data-driven XSS has nowhere to load from or send to.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


class StaticAssets(StaticFiles):
    """StaticFiles that says how long each answer may be cached."""

    def file_response(
        self, full_path: str | os.PathLike, stat_result: os.stat_result, scope: Scope,
        status_code: int = 200,
    ) -> Response:  # fmt: skip
        response = super().file_response(full_path, stat_result, scope, status_code)
        versioned = b"v=" in scope.get("query_string", b"")
        response.headers["Cache-Control"] = CACHE_VERSIONED if versioned else CACHE_BARE
        return response


def static_app() -> StaticAssets:
    """The app mounted at /static."""
    return StaticAssets(directory=STATIC_DIR)


def render(
    request: Request, name: str, context: dict, status_code: int = 200, data: dict | None = None
) -> Response:
    """A page, with headers that keep it to this host, and `data` for its JS."""
    auth_required = bool(get_settings(request).token)
    context = context | {"page_data": {"auth_required": auth_required, **(data or {})}}
    headers = {"Content-Security-Policy": CSP, "Cache-Control": "no-store"}
    return templates().TemplateResponse(request, name, context, status_code, headers)


def login_page(request: Request, problem: str) -> Response:
    """401: a form that opens this page again as ?token=, keeping the rest of its query."""
    keep = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
    context: dict = {"problem": problem, "action": local_path(request.url.path), "keep": keep}
    context |= {"live_indicator": False, "logout_link": False}  # nothing live, nobody logged in
    return render(request, "login.html", context, 401)


def local_path(path: str) -> str:
    """`path` on this host: a browser reads //evil.example/ or /\\evil.example/ as another site."""
    return "/" + path.lstrip("/\\")
