"""Expiring old runs in the background, hourly, when a retention period is configured."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.concurrency import run_in_threadpool

from claims_recon.engine.base import Store
from claims_recon.services import audit

log = logging.getLogger("claims_recon.retention")
INTERVAL_SECONDS = 3600


async def _expire_forever(store: Store, days: int) -> None:
    while True:
        try:
            await run_in_threadpool(audit.expire_runs, store, days)
        except Exception as exc:  # keep serving; try again at the next interval
            log.error("retention pass failed: %s", type(exc).__name__)
        await asyncio.sleep(INTERVAL_SECONDS)


@asynccontextmanager
async def retention(store: Store, days: int | None) -> AsyncIterator[None]:
    if days is None:
        yield
        return
    task = asyncio.create_task(_expire_forever(store, days))
    try:
        yield
    finally:
        task.cancel()
