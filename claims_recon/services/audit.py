"""The audit trail and the retention period: what happened to which run, and when runs go.

Events carry counts, hashes, formats and the names of the filters used — never their
values, never an ID or any other content of a file.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

from claims_recon.domain.models import RunPublic
from claims_recon.domain.query import ResultFilter
from claims_recon.engine.base import Event, Store
from claims_recon.ingest.columns import FileKind
from claims_recon.ingest.receiver import ReceivedFile

log = logging.getLogger("claims_recon.audit")

RETENTION_ACTOR = "retention"


def filters_used(filt: ResultFilter) -> list[str]:
    """Names of the filters that are set (the values may be patient data)."""
    names = {
        "status": bool(filt.statuses),
        "patient_id": filt.patient_id is not None,
        "claim_id": bool(filt.claim_search),
        "date_from": filt.date_from is not None,
        "date_to": filt.date_to is not None,
        "variance_min": filt.variance_min is not None,
        "variance_max": filt.variance_max is not None,
        "has_refunds": filt.has_refunds is not None,
    }
    return [name for name, used in names.items() if used]


def upload_detail(files: Mapping[FileKind, ReceivedFile]) -> dict[str, object]:
    return {f"{kind.value}_sha256": received.sha256 for kind, received in sorted(files.items())} | {
        f"{kind.value}_bytes": received.size_bytes for kind, received in files.items()
    }


def upload_event(actor: str, detail: Mapping[str, object], run: RunPublic) -> Event:
    """The record of an upload, stored with its run: the rows it brought and where the rest
    came from."""
    return Event(
        actor,
        "upload",
        row_count=sum(f.rows for f in (run.claims, run.invoices) if f.from_run_id is None),
        detail={
            **detail,
            "claims_rows": run.claims.rows,
            "invoices_rows": run.invoices.rows,
            "reused_from_run": run.claims.from_run_id or run.invoices.from_run_id,
        },
    )


def delete_run(store: Store, actor: str, run_id: int) -> None:
    """Delete a run on behalf of ``actor``; the record is stored in the same transaction."""
    store.delete_run(run_id, audit=Event(actor, "delete"))


def viewed(
    store: Store,
    actor: str,
    run_id: int,
    view: str,
    *,
    rows: int | None = None,
    filt: ResultFilter | None = None,
) -> None:
    detail: dict[str, object] = {"view": view}
    if filt is not None:
        detail["filters"] = filters_used(filt)
    store.record_event(actor, "view", run_id=run_id, row_count=rows, detail=detail)


def exported(
    store: Store, actor: str, run_id: int, what: str, fmt: str, filt: ResultFilter | None
) -> None:
    detail: dict[str, object] = {"export": what, "format": fmt}
    if filt is not None:
        detail["filters"] = filters_used(filt)
    store.record_event(actor, "export", run_id=run_id, detail=detail)


def expire_runs(store: Store, retention_days: int, now: dt.datetime | None = None) -> list[int]:
    """Delete runs older than the retention period; each deletion is audited."""
    moment = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=retention_days)
    expired: list[int] = []
    for run_id in store.runs_created_before(moment):
        store.delete_run(
            run_id,
            audit=Event(RETENTION_ACTOR, "expire", detail={"retention_days": retention_days}),
        )
        expired.append(run_id)
    if expired:
        log.info("retention: deleted %d run(s) older than %d days", len(expired), retention_days)
    return expired
