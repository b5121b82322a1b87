"""Creating runs from received files and reading them back."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from claims_recon.config import Settings
from claims_recon.domain.models import (
    ClaimDetail,
    InvoicePage,
    ProblemPublic,
    ResultPage,
    Summary,
    UploadResult,
)
from claims_recon.domain.money import CENTS
from claims_recon.domain.problems import Problem
from claims_recon.domain.query import Page, ResultQuery
from claims_recon.domain.status import Tolerance
from claims_recon.engine.base import Store
from claims_recon.errors import InvalidRequest, RejectedUpload
from claims_recon.ingest.columns import FileKind
from claims_recon.ingest.receiver import ReceivedFile
from claims_recon.services import audit

EMPTY_MESSAGE = (
    "No runs yet. Upload a claims file and an invoices file (POST /api/upload) to get a "
    "reconciliation."
)


def parse_tolerance(fields: Mapping[str, str], settings: Settings) -> Tolerance:
    amount = _decimal_field(fields, "tolerance_amount", settings.default_tolerance_amount)
    percent = _decimal_field(fields, "tolerance_percent", settings.default_tolerance_percent)
    if percent > 100:
        raise _field_error("tolerance_percent", fields, "must be at most 100")
    return Tolerance(amount=amount, percent=percent)


def _decimal_field(fields: Mapping[str, str], name: str, default: Decimal) -> Decimal:
    text = fields.get(name, "").strip()
    if not text:
        return default
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _field_error(name, fields, "must be a number, e.g. 0.50") from None
    if not value.is_finite() or value < 0 or value >= Decimal("1e15"):
        raise _field_error(name, fields, "must be a number of zero or more") from None
    if value != value.quantize(CENTS):
        raise _field_error(name, fields, "must have at most two decimal places")
    return value.quantize(CENTS)


def _field_error(name: str, fields: Mapping[str, str], rule: str) -> InvalidRequest:
    value = fields.get(name, "")[:40]
    return InvalidRequest(
        f"{name} {rule} (got {value!r})",
        details=[Problem(rule="invalid_field", message=f"{name} {rule}", column=name, value=value)],
    )


def reconcile_upload(
    store: Store,
    files: Mapping[FileKind, ReceivedFile],
    tolerance: Tolerance,
    settings: Settings,
    *,
    receive_ms: float = 0.0,
    actor: str = "local",
) -> UploadResult:
    """Validate and reconcile; the received files are deleted whatever happens."""
    detail = audit.upload_detail(files)
    try:
        run = store.create_run(
            files.get(FileKind.CLAIMS),
            files.get(FileKind.INVOICES),
            tolerance,
            max_problems=settings.max_errors,
            receive_ms=receive_ms,
            audit=lambda written: audit.upload_event(actor, detail, written),
        )
    except RejectedUpload as rejected:
        store.record_event(actor, "upload_rejected", detail={**detail, "problems": rejected.total})
        raise
    finally:
        for received in files.values():
            received.discard()
    return UploadResult(
        run_id=run.run_id,
        run=run,
        summary=store.summary(run.run_id),
        warnings=[ProblemPublic.model_validate(w.model_dump()) for w in run.warnings],
    )


def latest_summary(store: Store) -> Summary:
    run_id = store.latest_run_id()
    if run_id is None:
        return Summary(run_id=None, message=EMPTY_MESSAGE)
    return store.summary(run_id)


def latest_results(store: Store, query: ResultQuery) -> ResultPage:
    run_id = store.latest_run_id()
    if run_id is None:
        return ResultPage(
            run_id=None, data=[], total=0, skip=query.page.skip, limit=query.page.limit
        )
    return store.results(run_id, query)


def latest_orphans(store: Store, page: Page) -> InvoicePage:
    run_id = store.latest_run_id()
    if run_id is None:
        return InvoicePage(run_id=None, data=[], total=0, skip=page.skip, limit=page.limit)
    return store.orphans(run_id, page)


def claim_detail(store: Store, run_id: int, claim_id: str) -> ClaimDetail:
    return store.claim(run_id, claim_id)
