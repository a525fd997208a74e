"""Errors as a browser reads them: a styled page for a page's address, JSON for the API.

A request is a page's when it is a GET outside /api/ and /ws/ that accepts text/html: what a
browser sends when a person opens an address. Scripts and the pages' own fetches get the JSON
that docs/api.md describes.
"""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from server.web.auth import is_page
from server.web.errors import invalid_request, safe
from server.web.rendering import render

MAX_SHOWN = 80  # characters of a bad value quoted back
TITLES = {404: "Page not found", 405: "Not a page", 422: "Bad address"}


def wants_page(request: Request) -> bool:
    """A browser opening a page's address, not a script or the API."""
    return is_page(request) and "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status: int, message: str) -> Response:
    """templates/error.html with `status`."""
    title = TITLES.get(status) or HTTPStatus(status).phrase
    context = {"title": title, "message": message, "live_indicator": False}
    return render(request, "error.html", context, status)


async def http_error(request: Request, exc: Exception) -> Response:
    """404, 405 and the rest: the error page, or FastAPI's JSON."""
    assert isinstance(exc, HTTPException)
    if not wants_page(request):
        return await http_exception_handler(request, exc)
    if exc.status_code == 404:
        message = f"Nothing lives at {request.url.path}: check the address, or start from the runs."
        return error_page(request, 404, message)
    return error_page(request, exc.status_code, str(exc.detail))


async def invalid_address(request: Request, exc: Exception) -> Response:
    """422: the error page naming each bad part of the address, or the API's JSON."""
    assert isinstance(exc, RequestValidationError)
    if not wants_page(request):
        return await invalid_request(request, exc)
    return error_page(request, 422, "; ".join(describe(error) for error in exc.errors()))


def describe(error: dict) -> str:
    """'run_id 'abc': Input should be a valid integer' from one of pydantic's errors."""
    name = error["loc"][-1] if error["loc"] else "the address"
    given = f" {str(safe(str(error['input'])))[:MAX_SHOWN]!r}" if "input" in error else ""
    return f"{name}{given}: {error['msg']}"


def add_page_handlers(app: FastAPI) -> None:
    """Answer HTTP errors and invalid requests as the asker reads them."""
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_address)
