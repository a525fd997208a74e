"""Runs: create, read, follow live, cancel, delete, export."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response, WebSocket, status
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from server.protocol import MAX_INTEGER, CloseCode, RunStatus
from server.training.caps import QueueFull
from server.training.decimate import MIN_POINTS, decimate
from server.training.manager import RunConflict, RunManager
from server.training.run_query import SORT_PATTERN
from server.training.spec import ConfigError
from server.web import export
from server.web.deps import (
    After,
    DownloadsDep,
    HubDep,
    ManagerDep,
    RequireSameOrigin,
    RunId,
    same_origin,
)
from server.web.errors import BAD_BODY, DISK_FULL, ORIGIN_REFUSAL, refusals
from server.web.schemas import LossesPublic, RunCreate, RunExport, RunPublic, RunsPublic
from server.web.sizecheck import SizeCheckedRoute
from server.web.stream import Send, encode_bytes

router = APIRouter()
# what changes runs: not from other sites (the token is checked before, by server.web.auth)
writes = APIRouter(dependencies=[RequireSameOrigin], responses=refusals(ORIGIN_REFUSAL))
# a new run's 422 names a size over the cap too, however many other fields are wrong
creates = APIRouter(
    route_class=SizeCheckedRoute,
    dependencies=[RequireSameOrigin],
    responses=refusals(ORIGIN_REFUSAL),
)
log = logging.getLogger("lossboard.stream")
NOT_FOUND = refusals({404: "no such run"})
BUSY = refusals({429: "max_exports downloads are streaming already"})
TEXT = {"schema": {"type": "string"}}
BINARY = {"schema": {"type": "string", "format": "binary"}}
EXPORT_FORMATS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "an attachment: CSV rows `step,loss,time`, or JSON (format=json)",
        "model": RunExport,  # the JSON's schema
        "content": {"text/csv": TEXT},
    }
}
MANY_EXPORT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "an attachment: long-format CSV, or a zipped TensorBoard logdir",
        "content": {"text/csv": TEXT, "application/zip": BINARY},
    },
    **BUSY,
}
MAX_PAGE = 1_000_000  # points a /losses answer holds at most
MAX_EXPORT_RUNS = 1000


def not_found(run_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"run {run_id} does not exist")


def refusal(exc: ConfigError) -> RequestValidationError:
    """A 422 whose loc names the body field at fault (`params.H` -> ["body", "params", "H"])."""
    loc = ("body", *exc.field.split("."))
    return RequestValidationError([{"type": "value_error", "loc": loc, "msg": exc.message}])


def too_many(exc: QueueFull) -> HTTPException:
    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, str(exc))


@creates.post(
    "/api/runs",
    status_code=status.HTTP_201_CREATED,
    response_model=RunPublic,
    responses=refusals(
        {400: BAD_BODY, 429: "the queue holds max_queued runs already", **DISK_FULL}
    ),
)
def create_run(spec: RunCreate, manager: ManagerDep) -> dict:
    try:
        run = manager.submit(spec)
    except ConfigError as exc:
        raise refusal(exc) from None
    except QueueFull as exc:
        raise too_many(exc) from None
    return manager.public(run)


@router.get("/api/runs", response_model=RunsPublic)
def read_runs(
    manager: ManagerDep,
    status: RunStatus | None = None,
    variant: Annotated[str | None, Query(max_length=64)] = None,
    sweep_id: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    device: Annotated[str | None, Query(max_length=32, description="an id, or a kind")] = None,
    tag: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=200, description="text in name or notes")] = None,
    sort: Annotated[str, Query(pattern=SORT_PATTERN, description="`-` first: descending")] = "-id",
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_INTEGER)] = 0,
) -> dict:
    filters = {"status": status, "variant": variant, "sweep_id": sweep_id, "device": device,
               "tag": tag, "q": q, "sort": sort}  # fmt: skip
    runs, total = manager.list_runs(**filters, limit=limit, offset=offset)
    return {"runs": runs, "total": total}


@router.get(
    "/api/runs/export", responses={**MANY_EXPORT, **NOT_FOUND}
)  # before /api/runs/{run_id}, which would take "export"
def export_runs(
    manager: ManagerDep,
    downloads: DownloadsDep,
    ids: Annotated[str, Query(max_length=30_000, description="run ids, comma-separated")],
    format: export.Format = "csv",
) -> Response:
    runs = []
    for run_id in parse_ids(ids):
        run = manager.get(run_id)
        if run is None:
            raise not_found(run_id)
        runs.append(run)
    chunks = export.many_chunks(manager, runs, export.differing_fields(runs), format)
    return downloads.start(chunks, f"lossboard-runs.{export.SUFFIX[format]}")


def parse_ids(ids: str) -> list[int]:
    """`1,2,3` as distinct run ids in that order; a 422 naming `ids` otherwise."""
    parts = [p.strip() for p in ids.split(",") if p.strip()]
    problem = None
    if not parts or len(parts) > MAX_EXPORT_RUNS:
        problem = f"give 1 … {MAX_EXPORT_RUNS} run ids, comma-separated"
    elif not all(p.isdigit() and len(p) <= 19 and int(p) <= MAX_INTEGER for p in parts):
        problem = f"{ids!r} is not a comma-separated list of run ids"
    elif len(set(map(int, parts))) < len(parts):
        problem = "a run id is listed twice"
    if problem:
        error = {"type": "value_error", "loc": ("query", "ids"), "msg": problem}
        raise RequestValidationError([error])
    return [int(p) for p in parts]


@router.get("/api/runs/{run_id}", response_model=RunPublic, responses=NOT_FOUND)
def read_run(run_id: RunId, manager: ManagerDep) -> dict:
    run = manager.get(run_id)
    if run is None:
        raise not_found(run_id)
    return run


@router.get("/api/runs/{run_id}/losses", response_model=LossesPublic, responses=NOT_FOUND)
async def read_losses(
    run_id: RunId,
    manager: ManagerDep,
    request: Request,
    after: After = -1,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="points read")] = MAX_PAGE,
    max_points: Annotated[int | None, Query(ge=MIN_POINTS, le=MAX_PAGE)] = None,
) -> Response:
    # a full page takes about 100 MB while it is built: max_loss_pages at once (1), the
    # others waiting here, on the loop, without holding a thread
    async with request.app.state.loss_pages:
        page = functools.partial(losses_page, run_id, manager, after, limit, max_points)
        return await run_in_threadpool(page)


def losses_page(
    run_id: int, manager: RunManager, after: int, limit: int, max_points: int | None
) -> Response:
    """One page of a run's losses, encoded."""
    series = manager.losses(run_id, after, limit + 1)  # one more: is there a next page?
    if series is None:
        raise not_found(run_id)
    steps, loss, times = series
    next_after = int(steps[limit - 1]) if len(steps) > limit else None
    steps, loss, times = steps[:limit], loss[:limit], times[:limit]
    keep = decimate(loss, max_points) if max_points else None
    if keep is not None:
        steps, loss, times = steps[keep], loss[keep], times[keep]
    body = {"run_id": run_id, "step": steps, "loss": loss, "time": times,
            "decimated": keep is not None, "next_after": next_after}  # fmt: skip
    # encoded here: validating a million floats would be slow, and lists of them take memory
    return Response(encode_bytes(body), media_type="application/json")


@writes.post(
    "/api/runs/{run_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RunPublic,
    responses=NOT_FOUND,
)
def cancel_run(run_id: RunId, manager: ManagerDep) -> dict:
    run = manager.cancel(run_id)
    if run is None:
        raise not_found(run_id)
    return run


@writes.delete(
    "/api/runs/{run_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=refusals({404: "no such run", 409: "the run is queued or running"}),
)
def delete_run(run_id: RunId, manager: ManagerDep) -> Response:
    try:
        deleted = manager.delete(run_id)
    except RunConflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    if not deleted:
        raise not_found(run_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api/runs/{run_id}/export", responses={**EXPORT_FORMATS, **NOT_FOUND, **BUSY})
def export_run(
    run_id: RunId,
    manager: ManagerDep,
    downloads: DownloadsDep,
    format: Literal["csv", "json"] = "csv",
) -> Response:
    run, pieces = manager.get(run_id), manager.loss_pieces(run_id)
    if run is None or pieces is None:
        raise not_found(run_id)
    chunks = export.json_chunks(run, pieces) if format == "json" else export.csv_chunks(pieces)
    return downloads.start(chunks, f"lossboard-run-{run_id}.{format}")


@router.websocket("/ws/runs/{run_id}")
async def follow_run(
    websocket: WebSocket,
    run_id: RunId,
    hub: HubDep,
    after: After = -1,
) -> None:
    async def work(send: Send) -> CloseCode:
        found = await hub.follow_run(run_id, after, send)
        return CloseCode.DONE if found else CloseCode.UNKNOWN_RUN

    await serve_socket(websocket, work)


@router.websocket("/ws/runs")
async def follow_runs(websocket: WebSocket, hub: HubDep) -> None:
    async def work(send: Send) -> CloseCode:
        await hub.follow_all(send)
        return CloseCode.DONE

    await serve_socket(websocket, work)


async def serve_socket(
    websocket: WebSocket, work: Callable[[Send], Coroutine[Any, Any, CloseCode]]
) -> None:
    """Accept, check the Origin, run `work` until it ends or the client leaves, then close."""
    await websocket.accept()
    if not same_origin(websocket):
        await websocket.close(CloseCode.FORBIDDEN, "cross-origin websockets are refused")
        return
    limit = websocket.app.state.settings.max_subscribers
    if websocket.app.state.hub.subscribers() >= limit:
        reason = f"over {limit} followers at once (LOSSBOARD_MAX_SUBSCRIBERS): try again later"
        await websocket.close(CloseCode.BUSY, reason)
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


router.include_router(creates)
router.include_router(writes)
