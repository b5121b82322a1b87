"""Building the web application. Nothing here runs at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from claims_recon import __version__, web
from claims_recon.api import errors, privacy
from claims_recon.api.access import Access, AccessControl
from claims_recon.api.docs import install_docs
from claims_recon.api.headers import SecurityHeaders
from claims_recon.api.observability import RequestIds, configure_logging
from claims_recon.api.retention import retention
from claims_recon.api.routers import health, runs, uploads
from claims_recon.config import Settings
from claims_recon.engine import open_store
from claims_recon.ingest import spool

log = logging.getLogger("claims_recon")

DESCRIPTION = """
Reconcile healthcare claims against invoices and payments.

Upload a claims CSV and an invoices CSV; every upload becomes an immutable, persisted
**run**. Each claim gets exactly one status — `BALANCED`, `UNDERPAID`, `OVERPAID` or
`NO_INVOICES` — and invoices that point at no claim are listed as **orphans**. Money is
exact: amounts are decimals with two places, written in JSON as plain numbers.

Every error has one shape: `{"error": {"code", "message", "total", "details": [...]}}`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = open_store(settings)
        _sweep_leftovers(settings)
        log.info("claims-recon %s ready (store: %s)", __version__, _store_label(settings))
        try:
            async with retention(app.state.store, settings.retention_days):
                yield
        finally:
            app.state.store.close()

    app = FastAPI(
        title="claims-recon",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    configure_logging(settings.log_format, settings.log_level)
    privacy.install_log_redaction()
    errors.install(app)
    # First added runs innermost: access control, then CORS, error containment, headers.
    app.state.access = Access(settings)
    app.add_middleware(AccessControl, access=app.state.access)
    if settings.cors_origin_list():
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list(),
            allow_credentials=True,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-CSRF-Token"],
        )
    app.add_middleware(privacy.ContainErrors)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestIds)
    install_docs(app)
    app.include_router(health.router)
    app.include_router(uploads.router)
    app.include_router(runs.router)
    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")
    privacy.learn_path_words(_route_paths(app.routes))
    privacy.learn_path_words(
        str(p.relative_to(web.STATIC_DIR.parent)) for p in web.STATIC_DIR.rglob("*")
    )
    return app


def _route_paths(routes: Iterable[object]) -> Iterator[str]:
    """Every route template of the app, included routers and mounts too."""
    for route in routes:
        path = getattr(route, "path", None)
        if path:
            yield path
        # A mount lists its routes; an included router wraps the router it came from.
        inner = getattr(route, "routes", None)
        if inner is None:
            inner = getattr(getattr(route, "original_router", None), "routes", None)
        if inner:
            yield from _route_paths(inner)


def _sweep_leftovers(settings: Settings) -> None:
    # Files in use are locked by their process, also in a folder that replicas share.
    removed = spool.sweep(settings.resolved_upload_dir())
    if removed:
        log.info("removed %d upload file(s) left by an interrupted process", removed)


def _store_label(settings: Settings) -> str:
    return "DuckDB in memory" if settings.is_memory else f"DuckDB file {settings.database_url}"
