"""A run's metadata and its repeats: edit its name, notes and tags; run it again."""

from __future__ import annotations

from fastapi import APIRouter, status

from server.exceptions import NotFound
from server.web.deps import ManagerDep, RequireSameOrigin, RunId
from server.web.errors import BAD_BODY, ORIGIN_REFUSAL, refusals
from server.web.schemas import RunPatch, RunPublic, RunRerun

router = APIRouter(
    tags=["runs"], dependencies=[RequireSameOrigin], responses=refusals(ORIGIN_REFUSAL)
)


@router.patch(
    "/api/runs/{run_id}",
    response_model=RunPublic,
    responses=refusals({400: BAD_BODY, 404: "no such run"}),
)
def update_run(run_id: RunId, patch: RunPatch, manager: ManagerDep) -> dict:
    run = manager.edit(run_id, patch.changes())
    if run is None:
        raise NotFound("run", run_id)
    return run


@router.post(
    "/api/runs/{run_id}/rerun",
    status_code=status.HTTP_201_CREATED,
    response_model=RunPublic,
    responses=refusals(
        {
            400: BAD_BODY,
            404: "no such run",
            409: "the run is queued or running, or its request cannot run on this server now",
            429: "the queue holds max_queued runs already",
        }
    ),
)
def rerun_run(run_id: RunId, manager: ManagerDep, body: RunRerun | None = None) -> dict:
    changes = body.model_dump(exclude_unset=True) if body else {}
    run = manager.rerun(run_id, changes)
    if run is None:
        raise NotFound("run", run_id)
    return manager.reads.public(run)
