"""A polynomial fit's parameters, as stored at its first step, each tick and its last step."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from server.exceptions import NotFound
from server.web.deps import After, ManagerDep, RunId
from server.web.errors import refusals
from server.web.schemas import ParamsPublic

router = APIRouter(tags=["runs"])
MAX_PARAMS = 100_000  # steps a /params answer holds at most


@router.get(
    "/api/runs/{run_id}/params",
    response_model=ParamsPublic,
    responses=refusals({404: "no such run"}),
)
def read_params(
    run_id: RunId,
    manager: ManagerDep,
    after: After = -1,
    limit: Annotated[int, Query(ge=1, le=MAX_PARAMS, description="steps read")] = MAX_PARAMS,
) -> dict:
    """The parameters stored at the steps after `after`, a page at a time ([] for a variant
    that streams none)."""
    rows = manager.reads.params(run_id, after, limit + 1)  # one more: is there a next page?
    if rows is None:
        raise NotFound("run", run_id)
    next_after = rows[limit - 1][0] if len(rows) > limit else None
    rows = rows[:limit]
    return {"run_id": run_id, "step": [s for s, _ in rows], "params": [p for _, p in rows],
            "next_after": next_after}  # fmt: skip
