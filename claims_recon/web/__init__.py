"""Server-rendered pages over the same typed data functions as the JSON API.

``router`` holds the pages; ``STATIC_DIR`` is what the app serves at ``/static``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from claims_recon.web import audit_pages, home, result_pages, run_pages, session_pages

STATIC_DIR = Path(__file__).parent / "static"

router = APIRouter(include_in_schema=False)
router.include_router(home.router)
router.include_router(run_pages.router)
router.include_router(result_pages.router)
router.include_router(session_pages.router)
router.include_router(audit_pages.router)

__all__ = ["STATIC_DIR", "router"]
