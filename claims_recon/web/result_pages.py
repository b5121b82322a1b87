"""Browsing one run: its claims (filter, sort, page), one claim, its orphan invoices."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from claims_recon.api.deps import ActorDep, PageDep, ResultQueryDep, SettingsDep, StoreDep
from claims_recon.api.routers.runs import RunId
from claims_recon.services import audit
from claims_recon.web import links
from claims_recon.web.html_route import HTMLRoute
from claims_recon.web.paging import pager
from claims_recon.web.results_view import COLUMNS, results_context
from claims_recon.web.templating import render

router = APIRouter(route_class=HTMLRoute, include_in_schema=False)

# ``:path`` so that a claim ID containing a slash (sent as %2F) still reaches this page.
ClaimPathId = Annotated[str, Path(max_length=128)]


@router.get("/runs/{run_id}/claims")
def claims(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    actor: ActorDep,
    run_id: RunId,
    query: ResultQueryDep,
) -> Response:
    run = store.get_run(run_id)
    page = store.results(run_id, query)
    audit.viewed(store, actor, run_id, "results", rows=len(page.data), filt=query.filter)
    context = results_context(run_id, query, page.total, settings.page_size_default)
    return render(
        request,
        "claims.html",
        {
            "run": run,
            "rows": page.data,
            "columns": COLUMNS,
            "claim_href": lambda claim_id: links.claim_path(run_id, claim_id),
            **context,
        },
    )


@router.get("/runs/{run_id}/claims/{claim_id:path}")
def claim(
    request: Request, store: StoreDep, actor: ActorDep, run_id: RunId, claim_id: ClaimPathId
) -> Response:
    run = store.get_run(run_id)
    detail = store.claim(run_id, claim_id)
    audit.viewed(store, actor, run_id, "claim", rows=1)
    return render(
        request,
        "claim.html",
        {
            "run": run,
            "detail": detail,
            "json_href": "/api" + links.claim_path(run_id, claim_id),
        },
    )


@router.get("/runs/{run_id}/orphans")
def orphans(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    actor: ActorDep,
    run_id: RunId,
    page: PageDep,
) -> Response:
    run = store.get_run(run_id)
    result = store.orphans(run_id, page)
    audit.viewed(store, actor, run_id, "orphans", rows=len(result.data))
    path = links.run_path(run_id, "orphans")

    def at(skip: int) -> str:
        return links.href(
            path, links.page_items(replace(page, skip=skip), settings.page_size_default)
        )

    export = f"/api/runs/{run_id}/orphans/export"
    return render(
        request,
        "orphans.html",
        {
            "run": run,
            "rows": result.data,
            "pager": pager(result.total, page, at),
            "export_csv": links.href(export, [("format", "csv")]),
            "export_xlsx": links.href(export, [("format", "xlsx")]),
        },
    )
