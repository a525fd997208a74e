"""create_app(settings): the FastAPI app; its lifespan opens and closes everything long-lived."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.trustedhost import TrustedHostMiddleware

from server import __version__
from server.playground.sandbox import SandboxPool
from server.settings import Settings
from server.store.ingest import Ingest
from server.store.sqlite import Store
from server.system.sampler import SystemSampler
from server.training.caps import Caps
from server.training.executors import make_executor
from server.training.manager import RunManager
from server.training.sweeps import Sweeps
from server.training.variants import plugins
from server.web.auth import OPEN_PATHS, TokenGuard
from server.web.bodylimit import BodyLimit
from server.web.crosssite import CrossSiteRefusal
from server.web.error_pages import add_page_handlers
from server.web.errors import add_handlers, document_guards
from server.web.export import Downloads
from server.web.headers import SecurityHeaders
from server.web.metrics import Metrics
from server.web.redaction import Redaction
from server.web.rendering import static_app
from server.web.routes import (
    control,
    docs,
    ingest,
    pages,
    params,
    playground,
    run_meta,
    runs,
    series,
    sweeps,
    system,
)
from server.web.sessions import Sessions
from server.web.stream import RunHub
from server.web.sweep_stream import SweepHub

log = logging.getLogger("uvicorn.error")  # uvicorn's own log: what `lossboard serve` prints
# the API, then the browser pages and /docs
ROUTE_MODULES = (
    system, runs, params, run_meta, control, series, ingest, sweeps, playground, pages, docs,
)  # fmt: skip


def where(cluster: dict | None) -> str:
    """Where runs train, as the start-up log says it."""
    return f"on the Ray cluster at {cluster['address']}" if cluster else "on this machine"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; nothing starts until its lifespan runs."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redaction = Redaction(settings.token).install()
        plugins.use(settings.variants)  # DuplicateVariant stops the start here, naming both
        store = Store(settings.data_dir)
        store.open()
        # the threads that write /losses pages, a piece at a time (web/loss_pages.py)
        app.state.loss_pages = ThreadPoolExecutor(
            settings.max_loss_pages, "lossboard-pages", initializer=store.map_reads
        )
        sampler = SystemSampler(settings.system_every_s) if settings.system_every_s else None
        app.state.sampler = sampler
        executor = make_executor(
            settings.executor, settings.ray_address, settings.workers_per_device,
            data_dir=settings.data_dir, sampler=sampler,
        )  # fmt: skip
        caps = Caps(settings.max_run_bytes, settings.max_iterations, settings.max_queued)
        manager = RunManager(
            store, executor=executor, caps=caps, checkpoint_every_s=settings.checkpoint_every_s
        )
        app.state.manager = manager
        app.state.downloads = Downloads(settings.max_exports, settings.export_send_timeout_s)
        app.state.hub = RunHub(manager, asyncio.get_running_loop())
        app.state.ingest = Ingest(store, settings.sdk_timeout_s, app.state.hub.stored_changed)
        app.state.metrics = Metrics()
        app.state.metrics.watch(manager, app.state.hub, sampler)
        app.state.sweeps = Sweeps(manager, settings.max_sweep_runs)
        app.state.sweep_hub = SweepHub(manager, app.state.sweeps, asyncio.get_running_loop())
        playground = SandboxPool(
            workers=settings.playground_workers,
            timeout_s=settings.playground_timeout_s,
            memory_bytes=settings.playground_memory_bytes,
        )
        app.state.playground = playground
        if sampler is not None:
            sampler.start()
        manager.start()
        app.state.ingest.start()
        if settings.resume == "auto":  # the runs the stopped server left going, first
            manager.steering.resume_left()
        app.state.sweeps.resume()  # searches a previous server left go on
        log.info("runs train %s", where(manager.executor.cluster()))
        # the zygote imports torch (~2 s) in its own process while the server starts serving
        playground.start(wait=False, prestart=settings.playground_prestart)
        try:
            yield
        finally:
            await asyncio.to_thread(app.state.ingest.close)
            await asyncio.to_thread(manager.close)
            await asyncio.to_thread(playground.close)
            if sampler is not None:
                await asyncio.to_thread(sampler.close)
            app.state.loss_pages.shutdown(wait=False, cancel_futures=True)
            store.close()
            redaction.uninstall()

    app = FastAPI(
        title="lossboard",
        version=__version__,
        summary="The PyTorch two-layer-network tutorial as live training jobs.",
        lifespan=lifespan,
        docs_url=None,  # routes/docs.py serves Swagger UI from static/vendor
        redoc_url=None,
    )
    app.state.settings = settings
    # outermost last: the Host, another site's page, the token, then the body's size, all
    # before the body is read
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.state.sessions = Sessions(settings.session_max_age_s)
    app.add_middleware(TokenGuard, settings=settings, sessions=app.state.sessions)
    app.add_middleware(CrossSiteRefusal)
    add_handlers(app)
    add_page_handlers(app)  # a browser's errors as pages, over the API's JSON
    document_guards(app, OPEN_PATHS)
    if hosts := settings.trusted_hosts():
        # a page on another site that rebinds its DNS name to 127.0.0.1 still says its own Host
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)
    app.add_middleware(SecurityHeaders)  # outermost: on every answer, refusals included
    for routes in ROUTE_MODULES:  # each router owns its tags and guards
        app.include_router(routes.router)
    app.mount("/static", static_app(), name="static")
    return app
