"""Runs: create, read, follow live, cancel, delete, export."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, WebSocket, status
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from server.exceptions import NotFound
from server.protocol import MAX_INTEGER, CloseCode, RunStatus
from server.store.run_query import SORT_PATTERN, search_terms
from server.web import export, series_stream
from server.web.decimate import MIN_POINTS
from server.web.deps import (
    After,
    AfterSeries,
    DownloadsDep,
    HubDep,
    ManagerDep,
    RequireSameOrigin,
    RunId,
)
from server.web.errors import BAD_BODY, DISK_FULL, ORIGIN_REFUSAL, refusals
from server.web.loss_pages import LossPage, page_body
from server.web.schemas import LossesPublic, RunCreate, RunPublic, RunsPublic
from server.web.sizecheck import SizeCheckedRoute
from server.web.sockets import serve_socket
from server.web.stream import Send

router = APIRouter(tags=["runs"])
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
MAX_PAGE = 1_000_000  # points a /losses answer holds at most
MAX_EXPORT_RUNS = 1000


@creates.post(
    "/api/runs",
    status_code=status.HTTP_201_CREATED,
    response_model=RunPublic,
    responses=refusals(
        {400: BAD_BODY, 429: "the queue holds max_queued runs already", **DISK_FULL}
    ),
)
def create_run(spec: RunCreate, manager: ManagerDep) -> dict:
    run = manager.submit(spec)
    return manager.reads.public(run)


@router.get("/api/runs", response_model=RunsPublic)
def read_runs(
    manager: ManagerDep,
    status: RunStatus | None = None,
    variant: Annotated[str | None, Query(max_length=64)] = None,
    sweep_id: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    device: Annotated[str | None, Query(max_length=32, description="an id, or a kind")] = None,
    tag: Annotated[str | None, Query(max_length=40)] = None,
    rerun_of: Annotated[int | None, Query(ge=0, le=MAX_INTEGER, description="its reruns")] = None,
    q: Annotated[str | None, Query(max_length=200, description="words and key:value terms")] = None,
    sort: Annotated[str, Query(pattern=SORT_PATTERN, description="`-` first: descending")] = "-id",
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_INTEGER)] = 0,
) -> dict:
    search_terms(q or "")  # a SearchError is a 422 naming q (web/errors.py)
    filters = {"status": status, "variant": variant, "sweep_id": sweep_id, "device": device,
               "tag": tag, "rerun_of": rerun_of, "q": q, "sort": sort}  # fmt: skip
    runs, total = manager.reads.list_runs(**filters, limit=limit, offset=offset)
    return {"runs": runs, "total": total}


@router.get(
    "/api/runs/export", responses={**export.MANY_EXPORT, **NOT_FOUND}
)  # before /api/runs/{run_id}, which would take "export"
def export_runs(
    manager: ManagerDep,
    downloads: DownloadsDep,
    ids: Annotated[str, Query(max_length=30_000, description="run ids, comma-separated")],
    format: export.Format = "csv",
) -> Response:
    runs = []
    for run_id in export_ids(ids):
        run = manager.reads.get(run_id)
        if run is None:
            raise NotFound("run", run_id)
        runs.append(run)
    chunks = export.many_chunks(manager, runs, export.differing_fields(runs), format)
    return downloads.start(chunks, f"lossboard-runs.{export.SUFFIX[format]}")


def export_ids(ids: str) -> list[int]:
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
    run = manager.reads.get(run_id)
    if run is None:
        raise NotFound("run", run_id)
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
    # written as it is read, a piece at a time (web/loss_pages.py): max_loss_pages pieces are
    # worked on at once, whichever pages they belong to
    if await run_in_threadpool(manager.reads.get, run_id) is None:
        raise NotFound("run", run_id)
    page = LossPage(manager.reads, run_id, after, limit, max_points)
    body = page_body(page, request.app.state.loss_pages)
    return StreamingResponse(body, media_type="application/json")


@writes.post(
    "/api/runs/{run_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RunPublic,
    responses=NOT_FOUND,
)
def cancel_run(run_id: RunId, manager: ManagerDep) -> dict:
    run = manager.cancel(run_id)
    if run is None:
        raise NotFound("run", run_id)
    return run


@writes.delete(
    "/api/runs/{run_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=refusals({404: "no such run", 409: "the run is queued or running"}),
)
def delete_run(run_id: RunId, manager: ManagerDep) -> Response:
    if not manager.delete(run_id):
        raise NotFound("run", run_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/api/runs/{run_id}/export", responses={**export.EXPORT_FORMATS, **NOT_FOUND, **export.BUSY}
)
def export_run(
    run_id: RunId,
    manager: ManagerDep,
    downloads: DownloadsDep,
    format: Literal["csv", "json"] = "csv",
) -> Response:
    run, pieces = manager.reads.get(run_id), manager.reads.loss_pieces(run_id)
    if run is None or pieces is None:
        raise NotFound("run", run_id)
    names = export.series_names(manager, run_id)
    if format == "json":
        chunks = export.json_chunks(run, pieces)
    elif names != ["loss"]:  # several series: one long table
        chunks = export.series_csv_chunks(manager, run_id, names)
    else:
        chunks = export.csv_chunks(pieces)
    return downloads.start(chunks, f"lossboard-run-{run_id}.{format}")


@router.websocket("/ws/runs/{run_id}")
async def follow_run(
    websocket: WebSocket,
    run_id: RunId,
    hub: HubDep,
    cursors: AfterSeries,
    after: After = -1,
) -> None:
    async def work(send: Send) -> CloseCode:
        found = await series_stream.follow_run(hub, run_id, after, cursors, send)
        return CloseCode.DONE if found else CloseCode.UNKNOWN_RUN

    await serve_socket(websocket, work)


@router.websocket("/ws/runs")
async def follow_runs(websocket: WebSocket, hub: HubDep) -> None:
    async def work(send: Send) -> CloseCode:
        await hub.follow_all(send)
        return CloseCode.DONE

    await serve_socket(websocket, work)


router.include_router(creates)
router.include_router(writes)
