"""The audit trail as a page: the same data as GET /api/audit."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Request
from starlette.responses import Response

from claims_recon.api.deps import PageDep, SettingsDep, StoreDep
from claims_recon.web import links
from claims_recon.web.html_route import HTMLRoute
from claims_recon.web.paging import pager
from claims_recon.web.templating import render

router = APIRouter(route_class=HTMLRoute, include_in_schema=False)


@router.get("/audit")
def audit_trail(
    request: Request, store: StoreDep, settings: SettingsDep, page: PageDep
) -> Response:
    events = store.audit(page)

    def at(skip: int) -> str:
        return links.href(
            "/audit", links.page_items(replace(page, skip=skip), settings.page_size_default)
        )

    return render(
        request,
        "audit.html",
        {"events": events.data, "pager": pager(events.total, page, at)},
    )
