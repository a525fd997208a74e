"""Dependency aliases: everything a route needs, read from app.state."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Path, status
from starlette.requests import HTTPConnection

from server.settings import Settings
from server.training.manager import RunManager
from server.training.sweeps import Sweeps
from server.web.stream import StreamHub
from server.web.sweep_stream import SweepHub


def get_settings(conn: HTTPConnection) -> Settings:
    return conn.app.state.settings


def get_manager(conn: HTTPConnection) -> RunManager:
    return conn.app.state.manager


def get_hub(conn: HTTPConnection) -> StreamHub:
    return conn.app.state.hub


def get_sweeps(conn: HTTPConnection) -> Sweeps:
    return conn.app.state.sweeps


def get_sweep_hub(conn: HTTPConnection) -> SweepHub:
    return conn.app.state.sweep_hub


SettingsDep = Annotated[Settings, Depends(get_settings)]
ManagerDep = Annotated[RunManager, Depends(get_manager)]
HubDep = Annotated[StreamHub, Depends(get_hub)]
SweepsDep = Annotated[Sweeps, Depends(get_sweeps)]
SweepHubDep = Annotated[SweepHub, Depends(get_sweep_hub)]


def token_ok(conn: HTTPConnection, settings: Settings) -> bool:
    """True when no token is configured, or the request carries it (header or ?token=)."""
    if not settings.token:
        return True
    header = conn.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        given = conn.query_params.get("token", "")
    return secrets.compare_digest(given.strip().encode(), settings.token.encode())


def same_origin(conn: HTTPConnection) -> bool:
    """False for a browser request made by a page of another site (its Origin is not us).

    Scripts send no Origin and pass; a page elsewhere cannot cancel runs or read a socket.
    """
    origin = conn.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == conn.headers.get("host", "").lower()


def require_token(conn: HTTPConnection, settings: SettingsDep) -> None:
    """403 for another site's page, 401 unless the request carries the configured token."""
    if not same_origin(conn):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "cross-origin requests are refused")
    if not token_ok(conn, settings):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid token is required: send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )


RequireToken = Depends(require_token)
# Path parameter for run ids: SQLite's integers end at 2**63 - 1; past that no run exists.
RunId = Annotated[int, Path(ge=0, le=2**63 - 1, description="the run's id")]
SweepId = Annotated[int, Path(ge=0, le=2**63 - 1, description="the sweep's id")]
