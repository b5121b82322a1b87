"""The upload page, and the plain form post it falls back to when scripts are off.

With scripts on, ``upload.js`` sends the form to ``POST /api/upload`` itself (to show the
transfer's progress) and renders the API's error envelope; the form post below is the
same use case for a browser without scripts.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from claims_recon.api.deps import ActorDep, SettingsDep, StoreDep
from claims_recon.api.upload_flow import receive_and_reconcile
from claims_recon.config import Settings
from claims_recon.domain.models import ProblemPublic
from claims_recon.domain.query import Page
from claims_recon.engine.base import Store
from claims_recon.errors import ReconError
from claims_recon.web.html_route import HTMLRoute
from claims_recon.web.origin import CrossSiteRequest, is_same_origin
from claims_recon.web.templating import render

router = APIRouter(route_class=HTMLRoute, include_in_schema=False)

RECENT_RUNS = 5


@router.get("/")
def upload_page(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    return render(request, "home.html", _context(store, settings))


@router.post("/upload")
async def upload_form(
    request: Request, store: StoreDep, settings: SettingsDep, actor: ActorDep
) -> Response:
    if not is_same_origin(request):
        refused = CrossSiteRequest("uploads are only accepted from this site's own pages")
        return await run_in_threadpool(_rejected, request, store, settings, refused)
    try:
        result = await receive_and_reconcile(request, store, settings, actor)
    except ReconError as exc:
        return await run_in_threadpool(_rejected, request, store, settings, exc)
    return RedirectResponse(f"/runs/{result.run_id}", status_code=303)


def _context(store: Store, settings: Settings) -> dict[str, Any]:
    recent, count = store.list_runs(Page(0, RECENT_RUNS))
    return {
        "recent_runs": recent,
        "run_count": count,
        "default_tolerance_amount": settings.default_tolerance_amount,
        "default_tolerance_percent": settings.default_tolerance_percent,
        "rejection": None,
    }


def _rejected(request: Request, store: Store, settings: Settings, exc: ReconError) -> Response:
    """The upload page again, with the problems listed (reads the store: call off the loop)."""
    problems = [ProblemPublic.model_validate(p.as_dict()) for p in exc.details]
    context = _context(store, settings)
    context["rejection"] = {
        "message": exc.message[:1].upper() + exc.message[1:],
        "code": exc.code,
        "total": exc.total,
        "listed": len(problems),
        "groups": _by_file(problems),
    }
    return render(request, "home.html", context, status_code=exc.status_code)


def _by_file(problems: list[ProblemPublic]) -> list[dict[str, Any]]:
    """Problems grouped per file, in the order the files are first named."""
    groups: dict[str, dict[str, Any]] = {}
    for problem in problems:
        key = problem.filename or problem.file or ""
        group = groups.setdefault(
            key, {"filename": problem.filename, "file": problem.file, "problems": []}
        )
        group["problems"].append(problem)
    return list(groups.values())
