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
from claims_recon.domain.query import Page, ResultQuery
from claims_recon.domain.status import Tolerance
from claims_recon.engine.base import Store
from claims_recon.errors import InvalidRequest
from claims_recon.ingest.columns import FileKind
from claims_recon.ingest.receiver import ReceivedFile

EMPTY_MESSAGE = (
    "No runs yet. Upload a claims file and an invoices file (POST /api/upload) to get a "
    "reconciliation."
)


def parse_tolerance(fields: Mapping[str, str], settings: Settings) -> Tolerance:
    amount = _decimal_field(fields, "tolerance_amount", settings.default_tolerance_amount)
    percent = _decimal_field(fields, "tolerance_percent", settings.default_tolerance_percent)
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidRequest("tolerance_amount must have at most two decimal places")
    try:
        return Tolerance(amount=amount.quantize(Decimal("0.01")), percent=percent)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None


def _decimal_field(fields: Mapping[str, str], name: str, default: Decimal) -> Decimal:
    text = fields.get(name, "").strip()
    if not text:
        return default
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidRequest(f"{name} must be a number, got {text[:40]!r}") from None
    if not value.is_finite() or value < 0 or value >= Decimal("1e15"):
        raise InvalidRequest(f"{name} must be a number of zero or more, got {text[:40]!r}")
    return value


def reconcile_upload(
    store: Store,
    files: Mapping[FileKind, ReceivedFile],
    tolerance: Tolerance,
    settings: Settings,
    *,
    receive_ms: float = 0.0,
) -> UploadResult:
    """Validate and reconcile; the received files are deleted whatever happens."""
    try:
        run = store.create_run(
            files.get(FileKind.CLAIMS),
            files.get(FileKind.INVOICES),
            tolerance,
            max_problems=settings.max_errors,
            receive_ms=receive_ms,
        )
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
