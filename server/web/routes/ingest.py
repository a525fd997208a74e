"""Ingest: scripts log their own runs (`import lossboard`), one numbered batch at a time."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
import orjson
from fastapi import APIRouter, Response, status
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)

from server.exceptions import NotFound
from server.protocol import MAX_INTEGER
from server.store.ingest import (
    MAX_SERIES,
    Batch,
)
from server.store.series import Points
from server.web.deps import IngestDep, ManagerDep, RequireSameOrigin, RunId
from server.web.errors import BAD_BODY, ORIGIN_REFUSAL, refusals
from server.web.schemas import RunPublic, Tag, run_public

# scripts send no Origin; another site's page is refused, as for every write
router = APIRouter(
    prefix="/api/ingest",
    tags=["ingest"],
    dependencies=[RequireSameOrigin],
    responses=refusals(ORIGIN_REFUSAL),
)
MAX_CONFIG_BYTES = 64 * 2**10
NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
CONFLICT = refusals(
    {404: "no such run", 409: "not a script's run, a run that has ended, or a batch out of order"}
)


def printable(text: str) -> str:
    if not text.isprintable():
        raise ValueError("printable characters only: no control characters nor line breaks")
    return text


SeriesName = Annotated[
    str, StringConstraints(min_length=1, max_length=128), AfterValidator(printable)
]
Step = Annotated[StrictInt, Field(ge=0, le=MAX_INTEGER)]
Value = StrictFloat | StrictInt | Literal["NaN", "Infinity", "-Infinity"] | None
Time = Annotated[float, Field(allow_inf_nan=False)]


class IngestRunCreate(BaseModel):
    """POST /api/ingest/runs: a new run of a script, or one it continues."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200)
    config: dict[str, Any] | None = Field(None, description="JSON values, at most 64 KiB")
    tags: list[Tag] | None = Field(None, max_length=20)
    notes: str | None = Field(None, max_length=10_000)
    primary: SeriesName = "loss"
    client_key: (
        Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(printable)]
        | None
    ) = Field(None, description="the same key opens the same run")
    resume: int | None = Field(None, ge=0, le=MAX_INTEGER, description="a script's run id")

    @field_validator("config")
    @classmethod
    def _config_fits(cls, config: dict | None) -> dict | None:
        size = len(orjson.dumps(config, option=orjson.OPT_NON_STR_KEYS))
        if size > MAX_CONFIG_BYTES:
            raise ValueError(f"the config is {size:,} bytes as JSON; at most {MAX_CONFIG_BYTES:,}")
        return config


class IngestRunOpened(BaseModel):
    """The run, the last batch number stored, and each series' last stored step."""

    run: RunPublic
    last_seq: int
    last_steps: dict[str, int]


class SeriesBatch(BaseModel):
    """Some points of one series: steps strictly increasing; a non-finite value is a gap."""

    model_config = ConfigDict(extra="forbid")

    step: list[Step]
    value: list[Value]
    time: list[Time] = Field(description="seconds since the run started")

    @model_validator(mode="after")
    def _parallel_and_increasing(self) -> SeriesBatch:
        sizes = {len(self.step), len(self.value), len(self.time)}
        if len(sizes) > 1:
            raise ValueError(
                f"step, value and time hold {len(self.step)}, {len(self.value)} and "
                f"{len(self.time)} items: they must hold as many"
            )
        if any(b <= a for a, b in zip(self.step, self.step[1:], strict=False)):
            raise ValueError("steps must increase strictly within a batch")
        return self

    def points(self) -> Points:
        values = [NON_FINITE[v] if isinstance(v, str) else v for v in self.value]
        return Points(
            np.array(self.step, dtype=np.int64),
            np.array(values, dtype=np.float64),  # None becomes NaN: a gap
            np.array(self.time, dtype=np.float64),
        )


class PointsCreate(BaseModel):
    """POST /api/ingest/runs/{id}/points: batch `seq` (0, 1, 2, ...), resent until answered."""

    model_config = ConfigDict(extra="forbid")

    seq: StrictInt = Field(ge=0, le=MAX_INTEGER)
    series: dict[SeriesName, SeriesBatch] = Field({}, max_length=MAX_SERIES)


class PointsAck(BaseModel):
    seq: int
    stored: int  # points this request stored: 0 for a batch stored before
    should_stop: bool  # someone cancelled the run: the script should finish it


class RunFinish(BaseModel):
    """POST /api/ingest/runs/{id}/finish."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["completed", "failed", "cancelled"]
    error: str | None = Field(None, max_length=10_000)


@router.post(
    "/runs",
    status_code=status.HTTP_201_CREATED,
    response_model=IngestRunOpened,
    responses={
        200: {"model": IngestRunOpened, "description": "an existing run, continued"},
        **refusals({400: BAD_BODY}),
        **CONFLICT,
    },
)
def create_ingest_run(body: IngestRunCreate, ingest: IngestDep, response: Response) -> dict:
    fields = {"name": (body.name or "").strip() or None, "config": body.config or {},
              "tags": list(dict.fromkeys(body.tags or [])), "notes": body.notes or "",
              "primary": body.primary}  # fmt: skip
    run_id, created = ingest.open_run(fields, body.client_key, body.resume)
    if not created:
        response.status_code = status.HTTP_200_OK
    run = ingest.store.get_run(run_id)
    if run is None:  # deleted meanwhile
        raise NotFound("run", run_id)
    last = {"run": run_public(run), "last_seq": run["ingest_seq"]}
    return {**last, "last_steps": ingest.last_steps(run_id)}


@router.post(
    "/runs/{run_id}/points",
    response_model=PointsAck,
    responses={**refusals({400: BAD_BODY}), **CONFLICT},
)
def create_points(run_id: RunId, body: PointsCreate, ingest: IngestDep) -> dict:
    batch = Batch(body.seq, {name: points.points() for name, points in body.series.items()})
    return ingest.add(run_id, batch)


@router.post(
    "/runs/{run_id}/finish",
    response_model=RunPublic,
    responses={**refusals({400: BAD_BODY}), **CONFLICT},
)
def finish_ingest_run(
    run_id: RunId, body: RunFinish, ingest: IngestDep, manager: ManagerDep
) -> dict:
    error = body.error if body.status != "completed" else None
    ingest.finish(run_id, body.status, error)
    run = manager.reads.get(run_id)
    if run is None:  # deleted meanwhile
        raise NotFound("run", run_id)
    return run
