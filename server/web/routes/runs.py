"""Runs: create, read, follow live, cancel, delete, export."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, HTTPException, Query, Response, WebSocket, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.websockets import WebSocketDisconnect

from server.protocol import CloseCode, RunStatus
from server.settings import Settings
from server.training.decimate import MIN_POINTS, decimate
from server.training.manager import QueueFull, RunConflict
from server.training.spec import ConfigError
from server.web import exports
from server.web.deps import (
    HubDep,
    ManagerDep,
    RequireToken,
    RunId,
    SettingsDep,
    same_origin,
    token_ok,
)
from server.web.schemas import LossesPublic, RunCreate, RunPublic, RunsPublic, run_public
from server.web.stream import Send

router = APIRouter()
writes = APIRouter(dependencies=[RequireToken])  # what changes runs needs the token
log = logging.getLogger("lossboard.stream")
MAX_EXPORT_RUNS = 1000


def not_found(run_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"run {run_id} does not exist")


def refusal(exc: ConfigError) -> RequestValidationError:
    """A 422 whose loc names the body field at fault (`params.H` -> ["body", "params", "H"])."""
    loc = ("body", *exc.field.split("."))
    return RequestValidationError([{"type": "value_error", "loc": loc, "msg": exc.message}])


def too_many(exc: QueueFull) -> HTTPException:
    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, str(exc))


@writes.post("/api/runs", status_code=status.HTTP_201_CREATED, response_model=RunPublic)
def create_run(spec: RunCreate, manager: ManagerDep) -> dict:
    try:
        run = manager.submit(spec)
    except ConfigError as exc:
        raise refusal(exc) from None
    except QueueFull as exc:
        raise too_many(exc) from None
    return run.public()


@router.get("/api/runs", response_model=RunsPublic)
def read_runs(
    manager: ManagerDep,
    status: RunStatus | None = None,
    variant: Annotated[str | None, Query(max_length=64)] = None,
    sweep_id: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict:
    runs, total = manager.list_runs(
        status=status, variant=variant, sweep_id=sweep_id, limit=limit, offset=offset
    )
    return {"runs": runs, "total": total}


@router.get("/api/runs/export")  # before /api/runs/{run_id}, which would take "export"
def export_runs(
    manager: ManagerDep,
    ids: Annotated[str, Query(max_length=30_000, description="run ids, comma-separated")],
    format: exports.Format = "csv",
) -> Response:
    runs = []
    for run_id in parse_ids(ids):
        run = manager.get(run_id)
        if run is None:
            raise not_found(run_id)
        runs.append(run)
    columns = exports.differing_fields(runs)
    return exports.export(manager, runs, columns, format, "lossboard-runs")


def parse_ids(ids: str) -> list[int]:
    """`1,2,3` as distinct run ids in that order; a 422 naming `ids` otherwise."""
    parts = [p.strip() for p in ids.split(",") if p.strip()]
    problem = None
    if not parts or len(parts) > MAX_EXPORT_RUNS:
        problem = f"give 1 … {MAX_EXPORT_RUNS} run ids, comma-separated"
    elif not all(p.isdigit() and int(p) < 2**63 for p in parts):
        problem = f"{ids!r} is not a comma-separated list of run ids"
    elif len(set(map(int, parts))) < len(parts):
        problem = "a run id is listed twice"
    if problem:
        error = {"type": "value_error", "loc": ("query", "ids"), "msg": problem}
        raise RequestValidationError([error])
    return [int(p) for p in parts]


@router.get("/api/runs/{run_id}", response_model=RunPublic)
def read_run(run_id: RunId, manager: ManagerDep) -> dict:
    run = manager.get(run_id)
    if run is None:
        raise not_found(run_id)
    return run


@router.get("/api/runs/{run_id}/losses", response_model=LossesPublic)
def read_losses(
    run_id: RunId,
    manager: ManagerDep,
    after: Annotated[int, Query(ge=-1)] = -1,
    max_points: Annotated[int | None, Query(ge=MIN_POINTS, le=1_000_000)] = None,
) -> Response:
    series = manager.losses(run_id, after)
    if series is None:
        raise not_found(run_id)
    steps, loss, times = series
    keep = decimate(loss, max_points) if max_points else None
    if keep is not None:
        steps, loss, times = steps[keep], loss[keep], times[keep]
    body = {
        "run_id": run_id,
        "step": steps.tolist(),
        "loss": loss.tolist(),
        "time": times.tolist(),
        "decimated": keep is not None,
    }
    return JSONResponse(body)  # built here: validating a million floats would be slow


@writes.post(
    "/api/runs/{run_id}/cancel", status_code=status.HTTP_202_ACCEPTED, response_model=RunPublic
)
def cancel_run(run_id: RunId, manager: ManagerDep) -> dict:
    run = manager.cancel(run_id)
    if run is None:
        raise not_found(run_id)
    return run


@writes.delete("/api/runs/{run_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_run(run_id: RunId, manager: ManagerDep) -> Response:
    try:
        deleted = manager.delete(run_id)
    except RunConflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    if not deleted:
        raise not_found(run_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api/runs/{run_id}/export")
def export_run(
    run_id: RunId, manager: ManagerDep, format: Literal["csv", "json"] = "csv"
) -> Response:
    run = manager.get(run_id)
    series = manager.losses(run_id)
    if run is None or series is None:
        raise not_found(run_id)
    steps, loss, times = series
    filename = f"lossboard-run-{run_id}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == "json":
        columns = (steps.tolist(), loss.tolist(), times.tolist())
        rows = [{"step": i, "loss": v, "time": t} for i, v, t in zip(*columns, strict=True)]
        body = json.dumps({"run": run_public(run), "rows": rows})
        return Response(body, media_type="application/json", headers=headers)
    return Response(to_csv(steps, loss, times), media_type="text/csv", headers=headers)


def to_csv(steps: np.ndarray, loss: np.ndarray, times: np.ndarray) -> str:
    """step,loss,time rows; repr keeps every digit of each float."""
    out = io.StringIO()
    out.write("step,loss,time\n")
    for i, v, t in zip(steps.tolist(), loss.tolist(), times.tolist(), strict=True):
        out.write(f"{i},{v!r},{t!r}\n")
    return out.getvalue()


@router.websocket("/ws/runs/{run_id}")
async def follow_run(
    websocket: WebSocket,
    run_id: RunId,
    hub: HubDep,
    settings: SettingsDep,
    after: Annotated[int, Query(ge=-1)] = -1,
) -> None:
    async def work(send: Send) -> CloseCode:
        found = await hub.follow_run(run_id, after, send)
        return CloseCode.DONE if found else CloseCode.UNKNOWN_RUN

    await serve_socket(websocket, settings, work)


@router.websocket("/ws/runs")
async def follow_runs(websocket: WebSocket, hub: HubDep, settings: SettingsDep) -> None:
    async def work(send: Send) -> CloseCode:
        await hub.follow_all(send)
        return CloseCode.DONE

    await serve_socket(websocket, settings, work)


async def serve_socket(
    websocket: WebSocket, settings: Settings, work: Callable[[Send], Coroutine[Any, Any, CloseCode]]
) -> None:
    """Accept, check the token, run `work` until it ends or the client leaves, then close."""
    await websocket.accept()
    if not same_origin(websocket):
        await websocket.close(CloseCode.FORBIDDEN, "cross-origin websockets are refused")
        return
    if not token_ok(websocket, settings):
        await websocket.close(CloseCode.UNAUTHORIZED, "a valid token is required")
        return

    worker = asyncio.create_task(work(websocket.send_text))
    listener = asyncio.create_task(wait_disconnect(websocket))
    done, _ = await asyncio.wait({worker, listener}, return_when=asyncio.FIRST_COMPLETED)
    for task in (worker, listener):
        task.cancel()
    if worker not in done:
        return  # the client left
    code = CloseCode.ERROR
    if (error := worker.exception()) is None:
        code = worker.result()
    elif not isinstance(error, (OSError, RuntimeError, WebSocketDisconnect)):  # not a lost peer
        log.error("websocket stream failed", exc_info=error)
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await websocket.close(code)


async def wait_disconnect(websocket: WebSocket) -> None:
    """Return when the client goes away; anything it sends is ignored."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


router.include_router(writes)
