"""Dependency aliases: everything a route needs, read from app.state."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

import orjson
from fastapi import Depends, HTTPException, Path, Query, status
from fastapi.exceptions import WebSocketRequestValidationError
from starlette.requests import HTTPConnection

from server.protocol import MAX_INTEGER
from server.settings import Settings
from server.store.ingest import Ingest
from server.training.manager import RunManager
from server.training.sweeps import Sweeps
from server.web.export import Downloads
from server.web.stream import RunHub
from server.web.sweep_stream import SweepHub


def get_settings(conn: HTTPConnection) -> Settings:
    return conn.app.state.settings


def get_manager(conn: HTTPConnection) -> RunManager:
    return conn.app.state.manager


def get_hub(conn: HTTPConnection) -> RunHub:
    return conn.app.state.hub


def get_downloads(conn: HTTPConnection) -> Downloads:
    return conn.app.state.downloads


def get_ingest(conn: HTTPConnection) -> Ingest:
    return conn.app.state.ingest


def get_sweeps(conn: HTTPConnection) -> Sweeps:
    return conn.app.state.sweeps


def get_sweep_hub(conn: HTTPConnection) -> SweepHub:
    return conn.app.state.sweep_hub


SettingsDep = Annotated[Settings, Depends(get_settings)]
ManagerDep = Annotated[RunManager, Depends(get_manager)]
HubDep = Annotated[RunHub, Depends(get_hub)]
DownloadsDep = Annotated[Downloads, Depends(get_downloads)]
IngestDep = Annotated[Ingest, Depends(get_ingest)]

SweepsDep = Annotated[Sweeps, Depends(get_sweeps)]
SweepHubDep = Annotated[SweepHub, Depends(get_sweep_hub)]


def same_origin(conn: HTTPConnection) -> bool:
    """False for a browser request made by a page of another site (its Origin is not us).

    Scripts send no Origin and pass; a page elsewhere cannot cancel runs or read a socket.
    """
    origin = conn.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == conn.headers.get("host", "").lower()


def require_same_origin(conn: HTTPConnection) -> None:
    """403 for another site's page (the token is checked before, by server.web.auth)."""
    if not same_origin(conn):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "cross-origin requests are refused")


RequireSameOrigin = Depends(require_same_origin)
# Path parameter for run ids: SQLite's integers end at 2**63 - 1; past that no run exists.
RunId = Annotated[int, Path(ge=0, le=MAX_INTEGER, description="the run's id")]
# A step to read after: -1 for the first
After = Annotated[int, Query(ge=-1, le=MAX_INTEGER, description="the last step already held")]
SweepId = Annotated[int, Path(ge=0, le=MAX_INTEGER, description="the sweep's id")]


def after_series(
    after_series: Annotated[
        str | None,
        Query(max_length=200_000, description='JSON {"series name": last step held, ...}'),
    ] = None,
) -> dict[str, int]:
    """Each series' cursor for a websocket that resumes: its last step already held."""
    try:
        cursors = orjson.loads(after_series) if after_series else {}
    except orjson.JSONDecodeError:
        cursors = None
    if not isinstance(cursors, dict) or not all(
        type(v) is int and -1 <= v <= MAX_INTEGER for v in cursors.values()
    ):
        msg = 'a JSON object of series names and steps (-1 or more): {"val/acc": 99}'
        error = {"type": "value_error", "loc": ("query", "after_series"), "msg": msg}
        raise WebSocketRequestValidationError([error])
    return cursors


AfterSeries = Annotated[dict[str, int], Depends(after_series)]
