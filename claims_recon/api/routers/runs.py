"""Runs and everything read from one run; ``/api/…`` without a run id means the latest."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import StreamingResponse

from claims_recon.api.deps import (
    ActorDep,
    FilterDep,
    PageDep,
    ResultQueryDep,
    SettingsDep,
    SortDep,
    StoreDep,
)
from claims_recon.api.json import ExactJSONResponse
from claims_recon.api.responses import ERRORS
from claims_recon.config import Settings
from claims_recon.domain.models import (
    AuditPage,
    ClaimDetail,
    InvoicePage,
    ResultPage,
    RunList,
    RunPublic,
    Summary,
)
from claims_recon.domain.query import ResultFilter, Sort
from claims_recon.engine.base import Store
from claims_recon.errors import NotFound
from claims_recon.services import audit, exports, runs

router = APIRouter(prefix="/api", tags=["runs"], responses=ERRORS)

RunId = Annotated[int, Path(ge=1, le=2**62, description="Run number.")]
FormatParam = Annotated[
    exports.ExportFormat, Query(alias="format", description="csv, xlsx or parquet.")
]


@router.get("/runs", response_model=RunList, summary="List runs, newest first")
def list_runs(store: StoreDep, page: PageDep) -> ExactJSONResponse:
    data, count = store.list_runs(page)
    return ExactJSONResponse(RunList(data=data, count=count))


@router.get("/runs/{run_id}", response_model=RunPublic, summary="One run: files, counts, timings")
def get_run(store: StoreDep, run_id: RunId) -> ExactJSONResponse:
    return ExactJSONResponse(store.get_run(run_id))


@router.delete("/runs/{run_id}", status_code=204, summary="Delete a run and all its data")
def delete_run(store: StoreDep, actor: ActorDep, run_id: RunId) -> Response:
    audit.delete_run(store, actor, run_id)
    return Response(status_code=204)


@router.get(
    "/runs/{run_id}/reconciliation",
    response_model=ResultPage,
    summary="A run's reconciled claims: filter, sort, page",
)
def run_results(
    store: StoreDep, actor: ActorDep, run_id: RunId, query: ResultQueryDep
) -> ExactJSONResponse:
    page = store.results(run_id, query)
    audit.viewed(store, actor, run_id, "results", rows=len(page.data), filt=query.filter)
    return ExactJSONResponse(page)


@router.get("/runs/{run_id}/summary", response_model=Summary, summary="A run's summary")
def run_summary(store: StoreDep, actor: ActorDep, run_id: RunId) -> ExactJSONResponse:
    summary = store.summary(run_id)
    audit.viewed(store, actor, run_id, "summary")
    return ExactJSONResponse(summary)


@router.get(
    "/runs/{run_id}/orphans",
    response_model=InvoicePage,
    summary="Invoices of a run whose claim_id matches no claim",
)
def run_orphans(
    store: StoreDep, actor: ActorDep, run_id: RunId, page: PageDep
) -> ExactJSONResponse:
    orphans = store.orphans(run_id, page)
    audit.viewed(store, actor, run_id, "orphans", rows=len(orphans.data))
    return ExactJSONResponse(orphans)


@router.get(
    "/runs/{run_id}/claims/{claim_id:path}",
    response_model=ClaimDetail,
    summary="One claim with its invoices and the arithmetic behind its status",
)
def run_claim(
    store: StoreDep,
    actor: ActorDep,
    run_id: RunId,
    claim_id: Annotated[str, Path(max_length=128)],
) -> ExactJSONResponse:
    detail = runs.claim_detail(store, run_id, claim_id)
    audit.viewed(store, actor, run_id, "claim", rows=1)
    return ExactJSONResponse(detail)


@router.get(
    "/runs/{run_id}/reconciliation/export",
    summary="Download a filtered, sorted result view (streamed)",
    response_class=StreamingResponse,
)
def run_results_export(
    store: StoreDep,
    settings: SettingsDep,
    actor: ActorDep,
    run_id: RunId,
    filt: FilterDep,
    sort: SortDep,
    fmt: FormatParam = exports.ExportFormat.CSV,
) -> StreamingResponse:
    return _results_download(store, settings, actor, run_id, filt, sort, fmt)


@router.get(
    "/runs/{run_id}/orphans/export",
    summary="Download a run's orphan invoices (streamed)",
    response_class=StreamingResponse,
)
def run_orphans_export(
    store: StoreDep,
    settings: SettingsDep,
    actor: ActorDep,
    run_id: RunId,
    fmt: FormatParam = exports.ExportFormat.CSV,
) -> StreamingResponse:
    body = exports.export_orphans(store, run_id, fmt, spool_dir=settings.resolved_upload_dir())
    audit.exported(store, actor, run_id, "orphans", fmt.value, None)
    return _download(body, fmt, f"run-{run_id}-orphan-invoices")


# -- the latest run (the original API) -----------------------------------------------


@router.get(
    "/reconciliation",
    response_model=ResultPage,
    summary="The latest run's reconciled claims (empty before the first upload)",
)
def latest_results(store: StoreDep, actor: ActorDep, query: ResultQueryDep) -> ExactJSONResponse:
    page = runs.latest_results(store, query)
    if page.run_id is not None:
        audit.viewed(store, actor, page.run_id, "results", rows=len(page.data), filt=query.filter)
    return ExactJSONResponse(page)


@router.get(
    "/summary",
    response_model=Summary,
    summary="The latest run's summary (an empty state before the first upload)",
)
def latest_summary(store: StoreDep, actor: ActorDep) -> ExactJSONResponse:
    summary = runs.latest_summary(store)
    if summary.run_id is not None:
        audit.viewed(store, actor, summary.run_id, "summary")
    return ExactJSONResponse(summary)


@router.get("/orphans", response_model=InvoicePage, summary="The latest run's orphan invoices")
def latest_orphans(store: StoreDep, actor: ActorDep, page: PageDep) -> ExactJSONResponse:
    orphans = runs.latest_orphans(store, page)
    if orphans.run_id is not None:
        audit.viewed(store, actor, orphans.run_id, "orphans", rows=len(orphans.data))
    return ExactJSONResponse(orphans)


@router.get(
    "/reconciliation/export",
    summary="Download a view of the latest run (streamed)",
    response_class=StreamingResponse,
)
def latest_results_export(
    store: StoreDep,
    settings: SettingsDep,
    actor: ActorDep,
    filt: FilterDep,
    sort: SortDep,
    fmt: FormatParam = exports.ExportFormat.CSV,
) -> StreamingResponse:
    run_id = store.latest_run_id()
    if run_id is None:
        raise NotFound("there are no runs yet; upload files first")
    return _results_download(store, settings, actor, run_id, filt, sort, fmt)


@router.get(
    "/audit",
    response_model=AuditPage,
    tags=["audit"],
    summary="The audit trail, newest first: uploads, views, exports, deletions",
)
def audit_trail(store: StoreDep, page: PageDep) -> ExactJSONResponse:
    return ExactJSONResponse(store.audit(page))


def _results_download(
    store: Store,
    settings: Settings,
    actor: str,
    run_id: int,
    filt: ResultFilter,
    sort: Sort,
    fmt: exports.ExportFormat,
) -> StreamingResponse:
    body = exports.export_results(
        store, run_id, filt, sort, fmt, spool_dir=settings.resolved_upload_dir()
    )
    audit.exported(store, actor, run_id, "results", fmt.value, filt)
    return _download(body, fmt, f"run-{run_id}-reconciliation")


def _download(body, fmt: exports.ExportFormat, stem: str) -> StreamingResponse:  # type: ignore[no-untyped-def]
    return StreamingResponse(
        body,
        media_type=fmt.media_type,
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt.value}"'},
    )
