"""Sweeps: create, read, follow live, cancel, delete, export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, WebSocket, status

from server.exceptions import NotFound
from server.protocol import CloseCode
from server.web import export
from server.web.deps import (
    DownloadsDep,
    ManagerDep,
    RequireSameOrigin,
    SweepHubDep,
    SweepId,
    SweepsDep,
)
from server.web.errors import BAD_BODY, DISK_FULL, ORIGIN_REFUSAL, refusals
from server.web.schemas import StudyPublic, SweepCreate, SweepPublic, SweepsPublic
from server.web.sockets import serve_socket
from server.web.stream import Send

router = APIRouter(tags=["sweeps"])
# what changes sweeps: not from other sites (the token is checked before, by server.web.auth)
writes = APIRouter(dependencies=[RequireSameOrigin], responses=refusals(ORIGIN_REFUSAL))
NOT_FOUND = refusals({404: "no such sweep"})


@writes.post(
    "/api/sweeps",
    status_code=status.HTTP_201_CREATED,
    response_model=SweepPublic,
    responses=refusals(
        {400: BAD_BODY, 429: "the queue has no room for the sweep's runs", **DISK_FULL}
    ),
)
def create_sweep(spec: SweepCreate, sweeps: SweepsDep) -> dict:
    return sweeps.create(spec)


@router.get("/api/sweeps", response_model=SweepsPublic)
def read_sweeps(
    sweeps: SweepsDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict:
    found, total = sweeps.list_sweeps(limit=limit, offset=offset)
    return {"sweeps": found, "total": total}


@router.get("/api/sweeps/{sweep_id}", response_model=SweepPublic, responses=NOT_FOUND)
def read_sweep(sweep_id: SweepId, sweeps: SweepsDep) -> dict:
    sweep = sweeps.get(sweep_id)
    if sweep is None:
        raise NotFound("sweep", sweep_id)
    return sweep


@router.get(
    "/api/sweeps/{sweep_id}/study",
    response_model=StudyPublic,
    responses=refusals({404: "no such sweep", 409: "a plain grid or random sweep: no study"}),
)
def read_study(sweep_id: SweepId, sweeps: SweepsDep) -> dict:
    study = sweeps.study(sweep_id)
    if study is None:
        raise NotFound("sweep", sweep_id)
    return study


@writes.post(
    "/api/sweeps/{sweep_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SweepPublic,
    responses=NOT_FOUND,
)
def cancel_sweep(sweep_id: SweepId, sweeps: SweepsDep) -> dict:
    sweep = sweeps.cancel(sweep_id)
    if sweep is None:
        raise NotFound("sweep", sweep_id)
    return sweep


@writes.delete(
    "/api/sweeps/{sweep_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=refusals({404: "no such sweep", 409: "the sweep is running"}),
)
def delete_sweep(sweep_id: SweepId, sweeps: SweepsDep) -> Response:
    if not sweeps.delete(sweep_id):
        raise NotFound("sweep", sweep_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api/sweeps/{sweep_id}/export", responses={**export.MANY_EXPORT, **NOT_FOUND})
def export_sweep(
    sweep_id: SweepId,
    sweeps: SweepsDep,
    manager: ManagerDep,
    downloads: DownloadsDep,
    format: export.Format = "csv",
) -> Response:
    sweep = sweeps.get(sweep_id)
    if sweep is None:
        raise NotFound("sweep", sweep_id)
    runs = [run for i in sweep["run_ids"] if (run := manager.reads.get(i)) is not None]
    spec = sweep["spec"]
    columns = ["variant"] * (len(spec["variants"]) > 1) + list(spec["params"])
    chunks = export.many_chunks(manager, runs, columns, format)
    return downloads.start(chunks, f"lossboard-sweep-{sweep_id}.{export.SUFFIX[format]}")


@router.websocket("/ws/sweeps/{sweep_id}")
async def follow_sweep(websocket: WebSocket, sweep_id: SweepId, hub: SweepHubDep) -> None:
    async def work(send: Send) -> CloseCode:
        found = await hub.follow(sweep_id, send)
        return CloseCode.DONE if found else CloseCode.UNKNOWN_RUN

    await serve_socket(websocket, work)


router.include_router(writes)
