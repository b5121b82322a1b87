"""One upload, from the request body to a new run: shared by the API and the web page."""

from __future__ import annotations

import logging
import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from claims_recon.api.multipart import read_upload
from claims_recon.config import Settings
from claims_recon.domain.models import UploadResult
from claims_recon.engine.base import Store
from claims_recon.services import runs

log = logging.getLogger("claims_recon.upload")


async def receive_and_reconcile(
    request: Request, store: Store, settings: Settings, actor: str
) -> UploadResult:
    """Stream the files to disk under every limit, then reconcile them off the event loop.

    Raises the service's errors; the received files are deleted whatever happens.
    """
    started = time.perf_counter()
    form = await read_upload(
        request,
        limit=settings.max_upload_bytes,
        spool_dir=settings.resolved_upload_dir(),
        max_rows=settings.max_rows,
    )
    receive_ms = round((time.perf_counter() - started) * 1000, 1)
    try:
        tolerance = runs.parse_tolerance(form.fields, settings)
    except Exception:
        form.discard()
        raise
    # The stage marker says sizes only: never file names or content.
    log.info(
        "upload received (%d file(s), %d bytes); reconciling",
        len(form.files),
        sum(f.size_bytes for f in form.files.values()),
        extra={"event": "reconcile_started"},
    )
    return await run_in_threadpool(
        runs.reconcile_upload,
        store,
        form.files,
        tolerance,
        settings,
        receive_ms=receive_ms,
        actor=actor,
    )
