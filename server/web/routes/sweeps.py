"""Sweeps: create, read, follow live, cancel, delete, export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, WebSocket, status

from server.protocol import CloseCode
from server.training.caps import QueueFull
from server.training.spec import ConfigError
from server.training.sweeps import SweepConflict
from server.web import exports
from server.web.deps import (
    ManagerDep,
    RequireSameOrigin,
    SweepHubDep,
    SweepId,
    SweepsDep,
)
from server.web.errors import ORIGIN_REFUSAL, refusals
from server.web.routes.runs import refusal, serve_socket, too_many
from server.web.schemas import SweepCreate, SweepPublic, SweepsPublic
from server.web.stream import Send

router = APIRouter()
# what changes sweeps: not from other sites (the token is checked before, by server.web.auth)
writes = APIRouter(dependencies=[RequireSameOrigin], responses=refusals(ORIGIN_REFUSAL))


def not_found(sweep_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"sweep {sweep_id} does not exist")


@writes.post("/api/sweeps", status_code=status.HTTP_201_CREATED, response_model=SweepPublic)
def create_sweep(spec: SweepCreate, sweeps: SweepsDep) -> dict:
    try:
        return sweeps.create(spec)
    except ConfigError as exc:
        raise refusal(exc) from None
    except QueueFull as exc:
        raise too_many(exc) from None


@router.get("/api/sweeps", response_model=SweepsPublic)
def read_sweeps(
    sweeps: SweepsDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict:
    found, total = sweeps.list_sweeps(limit=limit, offset=offset)
    return {"sweeps": found, "total": total}


@router.get("/api/sweeps/{sweep_id}", response_model=SweepPublic)
def read_sweep(sweep_id: SweepId, sweeps: SweepsDep) -> dict:
    sweep = sweeps.get(sweep_id)
    if sweep is None:
        raise not_found(sweep_id)
    return sweep


@writes.post(
    "/api/sweeps/{sweep_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SweepPublic,
)
def cancel_sweep(sweep_id: SweepId, sweeps: SweepsDep) -> dict:
    sweep = sweeps.cancel(sweep_id)
    if sweep is None:
        raise not_found(sweep_id)
    return sweep


@writes.delete("/api/sweeps/{sweep_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_sweep(sweep_id: SweepId, sweeps: SweepsDep) -> Response:
    try:
        deleted = sweeps.delete(sweep_id)
    except SweepConflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    if not deleted:
        raise not_found(sweep_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api/sweeps/{sweep_id}/export")
def export_sweep(
    sweep_id: SweepId, sweeps: SweepsDep, manager: ManagerDep, format: exports.Format = "csv"
) -> Response:
    sweep = sweeps.get(sweep_id)
    if sweep is None:
        raise not_found(sweep_id)
    runs = [run for i in sweep["run_ids"] if (run := manager.get(i)) is not None]
    spec = sweep["spec"]
    columns = ["variant"] * (len(spec["variants"]) > 1) + list(spec["params"])
    return exports.export(manager, runs, columns, format, f"lossboard-sweep-{sweep_id}")


@router.websocket("/ws/sweeps/{sweep_id}")
async def follow_sweep(websocket: WebSocket, sweep_id: SweepId, hub: SweepHubDep) -> None:
    async def work(send: Send) -> CloseCode:
        found = await hub.follow(sweep_id, send)
        return CloseCode.DONE if found else CloseCode.UNKNOWN_RUN

    await serve_socket(websocket, work)


router.include_router(writes)
