"""A run's named series: which it has, and the points of one, paged and thinned as /losses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response, status
from pydantic import BaseModel

from server.web.decimate import MIN_POINTS, decimate
from server.web.deps import After, ManagerDep, RunId
from server.web.errors import refusals
from server.web.stream import encode_bytes

router = APIRouter(prefix="/api/runs/{run_id}/series", tags=["runs"])
MAX_PAGE = 1_000_000  # points an answer holds at most, as /losses
NOT_FOUND = refusals({404: "no such run, or no such series in it"})


class SeriesSummary(BaseModel):
    name: str
    count: int
    last: float | None  # the value at its last step (null: none, or not finite)
    min: float | None  # its lowest finite value


class SeriesListPublic(BaseModel):
    """The series a run holds, by name, and the one its best_loss and last_loss follow."""

    run_id: int
    primary: str
    series: list[SeriesSummary]


class SeriesPointsPublic(BaseModel):
    """A page of one series' points after a step, as parallel arrays (maybe thinned);
    a non-finite value is null: a gap."""

    run_id: int
    series: str
    step: list[int]
    value: list[float | None]
    time: list[float]
    decimated: bool
    next_after: int | None  # the `after` of the next page; null when none is stored yet


def not_found(message: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, message)


@router.get("", response_model=SeriesListPublic, responses=NOT_FOUND)
def read_series(run_id: RunId, manager: ManagerDep) -> Response:
    run, listed = manager.reads.get(run_id), manager.reads.series_list(run_id)
    if run is None or listed is None:
        raise not_found(f"run {run_id} does not exist")
    body = {"run_id": run_id, "primary": run["primary"], "series": listed}
    return Response(encode_bytes(body), media_type="application/json")  # NaN as null


@router.get("/{name:path}", response_model=SeriesPointsPublic, responses=NOT_FOUND)
def read_series_points(
    run_id: RunId,
    name: Annotated[str, Path(min_length=1, max_length=128, description="slashes and all")],
    manager: ManagerDep,
    after: After = -1,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="points read")] = MAX_PAGE,
    max_points: Annotated[int | None, Query(ge=MIN_POINTS, le=MAX_PAGE)] = None,
) -> Response:
    points = manager.reads.series_points(run_id, name, after, limit + 1)  # one more: a next page?
    if points is None:
        raise not_found(f"run {run_id} does not exist")
    if not len(points) and name not in {s["name"] for s in manager.reads.series_list(run_id) or []}:
        raise not_found(f"run {run_id} has no series {name!r}")
    next_after = int(points.step[limit - 1]) if len(points) > limit else None
    points = points[:limit]
    keep = decimate(points.value, max_points) if max_points else None
    if keep is not None:
        points = points[keep]
    body = {"run_id": run_id, "series": name, "step": points.step, "value": points.value,
            "time": points.time, "decimated": keep is not None,
            "next_after": next_after}  # fmt: skip
    return Response(encode_bytes(body), media_type="application/json")
