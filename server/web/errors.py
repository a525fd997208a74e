"""Refusals: the models the OpenAPI gives them, and handlers that answer any input safely."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError, WebSocketRequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from server.exceptions import Refused
from server.playground.errors import PlaygroundError
from server.protocol import CloseCode
from server.store.ingest import IngestRefused
from server.store.run_query import SearchError
from server.training.spec import ConfigError

MAX_CLOSE_REASON = 123  # bytes: a websocket close frame holds no more
# what writes and websockets refuse to other sites' pages (docs/api.md, Host and Origin)
ORIGIN_REFUSAL = {403: "a page of another site sent it"}
# what the middlewares in front of every route refuse (docs/api.md, Auth and Request bodies)
GUARD_REFUSALS = {"401": "a token is configured, and neither it nor the login cookie came"}
BODY_REFUSAL = {"413": "the body is over LOSSBOARD_MAX_BODY_BYTES"}
BAD_BODY = "the body is not JSON text"
DISK_FULL = {507: "the disk is full: the store cannot keep a new run's losses"}
VALUE_ERROR = "Value error, "  # pydantic's prefix to a validator's own message


class ErrorPublic(BaseModel):
    """A refusal: what went wrong, in words a person can act on."""

    detail: str


class FieldError(BaseModel):
    """One invalid parameter: `loc` names it (e.g. ["body", "N"]), `msg` says why."""

    loc: list[str | int]
    msg: str
    type: str
    input: Any = None
    ctx: dict[str, Any] | None = None


class ValidationErrorPublic(BaseModel):
    """A 422: every invalid parameter of the request."""

    detail: list[FieldError]


def refusals(described: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for these statuses, each a refusal with the shared error model."""
    return {code: {"model": ErrorPublic, "description": why} for code, why in described.items()}


def safe(value: object) -> object:
    """`value` as JSON can carry it: non-finite floats and huge integers as text, lone
    surrogates escaped, and anything that is not JSON by its str()."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, int):
        return value if value.bit_length() <= 64 else f"an integer of {value.bit_length():,} bits"
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode()
    if isinstance(value, dict):
        return {safe(str(key)): safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [safe(item) for item in value]
    return safe(str(value))


def readable(errors: Sequence[Any]) -> list[Any]:
    """The errors with pydantic's "Value error, " taken off the validators' own messages."""
    return [{**error, "msg": str(error["msg"]).removeprefix(VALUE_ERROR)} for error in errors]


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """422 with every error, echoing its input safely whatever the input was."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": safe(readable(exc.errors()))}, status_code=422)


async def invalid_websocket(websocket: WebSocket, exc: Exception) -> None:
    """Accept, then close with CloseCode.INVALID naming the first invalid parameter: a refusal
    at the handshake reaches a browser as a bare HTTP 403 that says nothing."""
    assert isinstance(exc, WebSocketRequestValidationError)
    error = readable(exc.errors())[0]
    reason = str(safe(f"{error['loc'][-1]}: {error['msg']}")).encode()[:MAX_CLOSE_REASON]
    await websocket.accept()
    await websocket.close(CloseCode.INVALID, reason.decode(errors="ignore"))


def document_guards(app: FastAPI, open_paths: tuple[str, ...]) -> None:
    """Add the guards' 401 (and 413 where a body is read) to every operation's OpenAPI,
    but those of `open_paths`: the middlewares answer them before any route runs."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        built = app.openapi_schema is not None
        schema = build()  # FastAPI's, cached on the app after the first call
        if not built:
            for path, operations in schema["paths"].items():
                if path not in open_paths:
                    for operation in operations.values():
                        add_refusals(operation)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def add_refusals(operation: dict[str, Any]) -> None:
    """One operation's 401, and 413 when it takes a body."""
    refused = {**GUARD_REFUSALS, **(BODY_REFUSAL if "requestBody" in operation else {})}
    for code, why in refused.items():
        operation["responses"].setdefault(code, {"description": why, "content": ERROR_JSON})


ERROR_JSON = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorPublic"}}}


async def refused(request: Request, exc: Exception) -> JSONResponse:
    """A refusal of the engine's, with the status it carries."""
    assert isinstance(exc, Refused)
    return JSONResponse({"detail": str(exc)}, status_code=exc.status)


async def config_refused(request: Request, exc: Exception) -> JSONResponse:
    """A run request that cannot run here: a 422 whose loc names the body field at fault
    (`params.H` -> ["body", "params", "H"])."""
    assert isinstance(exc, ConfigError)
    error = {"type": "value_error", "loc": ("body", *exc.field.split(".")), "msg": exc.message}
    return await invalid_request(request, RequestValidationError([error]))


async def search_refused(request: Request, exc: Exception) -> JSONResponse:
    """A runs search (`q`) that cannot be read: a 422 naming it."""
    error = {"type": "value_error", "loc": ("query", "q"), "msg": str(exc)}
    return await invalid_request(request, RequestValidationError([error]))


async def points_refused(request: Request, exc: Exception) -> JSONResponse:
    """Points a script's run cannot take: a 422 whose loc names the series or field."""
    assert isinstance(exc, IngestRefused)
    error = {"type": "value_error", "loc": exc.loc, "msg": exc.message}
    return await invalid_request(request, RequestValidationError([error]))


async def snippet_refused(request: Request, exc: Exception) -> JSONResponse:
    """A snippet the playground refused, counted in /metrics with its status."""
    assert isinstance(exc, PlaygroundError)
    request.app.state.metrics.observe_eval(exc.status_code)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


def add_handlers(app: FastAPI) -> None:
    """Answer invalid requests and websockets, and the engine's refusals, with the handlers
    above: one per kind of error, so no route catches one to re-raise it."""
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(WebSocketRequestValidationError, invalid_websocket)
    app.add_exception_handler(Refused, refused)
    app.add_exception_handler(ConfigError, config_refused)
    app.add_exception_handler(PlaygroundError, snippet_refused)
    app.add_exception_handler(SearchError, search_refused)
    app.add_exception_handler(IngestRefused, points_refused)
