"""create_app(settings): the FastAPI app; its lifespan opens and closes everything long-lived."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.trustedhost import TrustedHostMiddleware

from server import __version__
from server.playground.sandbox import SandboxPool
from server.settings import Settings
from server.training.executors import make_executor
from server.training.manager import RunManager
from server.training.store import Store
from server.training.sweeps import Sweeps
from server.web.deps import RequireToken
from server.web.routes import pages, runs, system
from server.web.routes import playground as playground_routes
from server.web.routes import sweeps as sweep_routes
from server.web.stream import StreamHub
from server.web.sweep_stream import SweepHub

log = logging.getLogger("uvicorn.error")  # uvicorn's own log: what `lossboard serve` prints


def where(cluster: dict | None) -> str:
    """Where runs train, as the start-up log says it."""
    return f"on the Ray cluster at {cluster['address']}" if cluster else "on this machine"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; nothing starts until its lifespan runs."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store(settings.data_dir)
        store.open()
        executor = make_executor(
            settings.executor, settings.ray_address, settings.workers_per_device
        )
        manager = RunManager(
            store,
            executor=executor,
            max_run_bytes=settings.max_run_bytes,
            max_queued=settings.max_queued,
        )
        app.state.manager = manager
        app.state.sweeps = Sweeps(manager, settings.max_sweep_runs)
        app.state.hub = StreamHub(manager, asyncio.get_running_loop())
        app.state.sweep_hub = SweepHub(manager, app.state.sweeps, asyncio.get_running_loop())
        playground = SandboxPool(
            workers=settings.playground_workers,
            timeout_s=settings.playground_timeout_s,
            memory_bytes=settings.playground_memory_bytes,
        )
        app.state.playground = playground
        manager.start()
        log.info("runs train %s", where(manager.executor.cluster()))
        # the zygote imports torch (~2 s) in its own process while the server starts serving
        playground.start(wait=False, prestart=settings.playground_prestart)
        try:
            yield
        finally:
            await asyncio.to_thread(manager.close)
            await asyncio.to_thread(playground.close)
            store.close()

    app = FastAPI(
        title="lossboard",
        version=__version__,
        summary="The PyTorch two-layer-network tutorial as live training jobs.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    if hosts := settings.trusted_hosts():
        # a page on another site that rebinds its DNS name to 127.0.0.1 still says its own Host
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)
    app.include_router(system.router, tags=["system"])
    app.include_router(runs.router, tags=["runs"])
    app.include_router(sweep_routes.router, tags=["sweeps"])
    app.include_router(playground_routes.router, tags=["playground"], dependencies=[RequireToken])
    # the browser pages and their assets
    app.include_router(pages.router, tags=["pages"])
    app.mount("/static", pages.static_app(), name="static")
    return app
