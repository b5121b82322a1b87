"""Run history, a run's dashboard, and deleting a run."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from claims_recon.api.deps import ActorDep, PageDep, SettingsDep, StoreDep
from claims_recon.api.routers.runs import RunId
from claims_recon.domain.status import Status
from claims_recon.services import audit
from claims_recon.web import links
from claims_recon.web.html_route import HTMLRoute
from claims_recon.web.kpis import dashboard_kpis
from claims_recon.web.origin import is_same_origin
from claims_recon.web.paging import pager
from claims_recon.web.templating import render

router = APIRouter(route_class=HTMLRoute, include_in_schema=False)


@router.get("/runs")
def run_history(
    request: Request, store: StoreDep, settings: SettingsDep, page: PageDep
) -> Response:
    data, count = store.list_runs(page)

    def at(skip: int) -> str:
        return links.href(
            "/runs", links.page_items(replace(page, skip=skip), settings.page_size_default)
        )

    deleted = request.query_params.get("deleted", "")
    return render(
        request,
        "runs.html",
        {
            "runs": data,
            "pager": pager(count, page, at),
            "deleted": int(deleted) if deleted.isdigit() else None,
        },
    )


@router.get("/runs/{run_id}")
def dashboard(request: Request, store: StoreDep, actor: ActorDep, run_id: RunId) -> Response:
    run = store.get_run(run_id)
    summary = store.summary(run_id)
    audit.viewed(store, actor, run_id, "dashboard")
    claims = links.run_path(run_id, "claims")
    order = list(Status)
    by_status = sorted(summary.by_status, key=lambda row: order.index(row.status))
    return render(
        request,
        "dashboard.html",
        {
            "run": run,
            "summary": summary,
            "by_status": by_status,
            "kpis": dashboard_kpis(run_id, summary),
            "status_links": {s.value: links.href(claims, [("status", s.value)]) for s in Status},
            "summary_url": f"/api/runs/{run_id}/summary",
        },
    )


@router.get("/runs/{run_id}/delete")
def confirm_delete(request: Request, store: StoreDep, run_id: RunId) -> Response:
    """The confirmation step for browsers without scripts (runs.js asks with a dialog)."""
    return render(request, "run_delete.html", {"run": store.get_run(run_id)})


@router.post("/runs/{run_id}/delete")
def delete_run(request: Request, store: StoreDep, actor: ActorDep, run_id: RunId) -> Response:
    if not is_same_origin(request):
        return render(
            request,
            "error.html",
            {
                "title": "Not deleted",
                "message": "Runs can only be deleted from this site's own pages.",
                "problems": [],
            },
            status_code=403,
        )
    audit.delete_run(store, actor, run_id)
    return RedirectResponse(f"/runs?deleted={run_id}", status_code=303)
