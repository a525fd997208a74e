"""Steering a run: pause, resume and step it, change its hyperparameters while it trains, and
download its trained model."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from starlette.responses import FileResponse, Response

from server.training.variants.models import model_filename
from server.web.deps import ManagerDep, RequireSameOrigin, RunId
from server.web.errors import BAD_BODY, ORIGIN_REFUSAL, refusals
from server.web.schemas import RunHyper, RunHyperAnswer, RunPublic, RunResumed, RunStep

router = APIRouter(tags=["runs"])  # the verbs that change a run refuse other sites' pages
MODEL_TYPE = "application/octet-stream"


@router.post(
    "/api/runs/{run_id}/pause",
    response_model=RunPublic,
    responses=refusals(
        {
            **ORIGIN_REFUSAL,
            404: "no such run",
            409: "the run is not running, or its loop offers no state hooks",
        },
    ),
    dependencies=[RequireSameOrigin],
)
def pause_run(run_id: RunId, manager: ManagerDep) -> dict:
    """Pause a running run at its next step boundary: it checkpoints and frees its lane (its
    status turns `paused` once it has)."""
    return manager.steering.pause(run_id)


@router.post(
    "/api/runs/{run_id}/resume",
    response_model=RunResumed,
    responses=refusals(
        {
            **ORIGIN_REFUSAL,
            404: "no such run",
            409: "the run is neither paused nor interrupted, or a script's",
        },
    ),
    dependencies=[RequireSameOrigin],
)
def resume_run(run_id: RunId, manager: ManagerDep) -> dict:
    """Queue a paused or interrupted run again, at the front of its lane, to go on from its
    last checkpoint (from step 0 when it has none: the answer says which)."""
    return manager.steering.resume(run_id)


@router.post(
    "/api/runs/{run_id}/step",
    response_model=RunResumed,
    responses=refusals(
        {
            **ORIGIN_REFUSAL,
            400: BAD_BODY,
            404: "no such run",
            409: "the run is neither paused nor interrupted, or a script's",
        }
    ),
    dependencies=[RequireSameOrigin],
)
def step_run(run_id: RunId, manager: ManagerDep, body: RunStep | None = None) -> dict:
    """Run `n` more iterations of a paused run (1 by default), then pause it again."""
    return manager.steering.resume(run_id, steps=(body or RunStep()).n)


@router.patch(
    "/api/runs/{run_id}/hyper",
    response_model=RunHyperAnswer,
    responses=refusals(
        {
            **ORIGIN_REFUSAL,
            400: BAD_BODY,
            404: "no such run",
            409: "the run is neither running nor paused, or its loop offers no state hooks",
        }
    ),
    dependencies=[RequireSameOrigin],
)
def change_hyper(run_id: RunId, body: RunHyper, manager: ManagerDep) -> dict:
    """Change a running run's hyperparameters at its next step boundary, or a paused run's
    from the step it resumes at. Each change becomes an event, kept in the run's request so
    that "Run again" repeats it."""
    return manager.steering.hyper(run_id, body.changes())


@router.get(
    "/api/runs/{run_id}/model",
    response_class=Response,
    responses={
        200: {"content": {MODEL_TYPE: {}}, "description": "torch.save's file of the weights"},
        **refusals({404: "no such run, or it has no model"}),
    },
)
def download_model(run_id: RunId, manager: ManagerDep) -> Response:
    """The run's trained weights, loadable with `torch.load(path, weights_only=True)`: a
    finished run's final ones (those that gave its last loss), a running or paused run's
    latest checkpoint's. `X-Lossboard-Step` says which step's loss they gave."""
    step, model = manager.steering.model(run_id)
    name = model_filename(run_id)  # the name the run page's loading lines read
    headers = {"X-Lossboard-Step": str(step), "Cache-Control": "no-store"}
    if isinstance(model, Path):
        return FileResponse(model, media_type=MODEL_TYPE, filename=name, headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(model, media_type=MODEL_TYPE, headers=headers)
