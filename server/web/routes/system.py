"""Health, the machine's devices and versions, and the variants on offer."""

from __future__ import annotations

import platform
from typing import Annotated

import numpy as np
import torch
from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import PlainTextResponse
from prometheus_client.exposition import choose_encoder

from server import __version__
from server.system import live
from server.system.sampler import SystemSampler
from server.training import registry
from server.training.devices import default_device
from server.training.spec import catalog
from server.web.deps import ManagerDep, SettingsDep
from server.web.errors import refusals
from server.web.schemas import SystemPublic, SystemSamplesPublic, VariantPublic

router = APIRouter(tags=["system"])


def get_sampler(request: Request) -> SystemSampler | None:
    return request.app.state.sampler


SamplerDep = Annotated[SystemSampler | None, Depends(get_sampler)]


@router.get("/healthz", responses=refusals({503: "the store cannot write (`problem` says why)"}))
def read_health(manager: ManagerDep, response: Response) -> dict:
    """200 while the server works; `executor` says whether runs can reach their workers."""
    health = {"status": "ok", "executor": manager.executor.health()}
    if problem := manager.store.space.recover():
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        health |= {"status": "error", "problem": problem}
    return health


@router.get("/api/system", response_model=SystemPublic)
def read_system(manager: ManagerDep, settings: SettingsDep, sampler: SamplerDep) -> dict:
    return {
        "version": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "cuda_available": torch.cuda.is_available(),
        "devices": live.with_figures(
            [d.as_dict() for d in manager.devices], sampler, manager.executor.name == "local"
        ),
        "default_device": default_device(manager.devices),
        "auth_required": bool(settings.token),
        "executor": manager.executor.name,
        "cluster": manager.executor.cluster(),
        "queued": manager.reads.queued(),
        "system_every_s": settings.system_every_s,
        "variant_failures": list(registry.FAILURES),
    }


@router.get("/api/system/samples", response_model=SystemSamplesPublic)
def read_system_samples(sampler: SamplerDep) -> dict:
    """The system sampler's last few minutes, per device: the dashboard's sparklines."""
    return live.history(sampler)


@router.get("/api/variants", response_model=list[VariantPublic])
def read_variants() -> list[dict]:
    """Every variant: the tutorial's, then each package's; `fields_schema` is the JSON schema
    of its own fields (what the form, sweeps and `lossboard run --set` offer)."""
    return catalog()


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"application/openmetrics-text": {"schema": {"type": "string"}}}}},
)
async def read_metrics(request: Request) -> Response:
    """Prometheus metrics: the text format, or OpenMetrics when the scraper's Accept asks."""
    # async: the collector reads the hub's subscribers on the loop that changes them
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(request.app.state.metrics.registry), media_type=content_type)
