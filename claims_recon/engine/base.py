"""What every store offers the services. Implementations live beside this file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyarrow as pa

from claims_recon.domain.models import (
    AuditPage,
    ClaimDetail,
    InvoicePage,
    ResultPage,
    RunPublic,
    Summary,
    Timings,
)
from claims_recon.domain.query import Page, ResultFilter, ResultQuery, Sort
from claims_recon.domain.status import Tolerance
from claims_recon.ingest.receiver import ReceivedFile

EXPORT_BATCH_ROWS = 65_536


@dataclass(frozen=True)
class Event:
    """An audit record that a change writes in its own transaction: the change and its record
    are stored together or not at all."""

    actor: str
    action: str
    row_count: int | None = None
    detail: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchStream:
    """Rows of an export: their schema (known even when there are none) and the batches."""

    schema: pa.Schema
    batches: Iterator[pa.RecordBatch]


class Store(Protocol):
    def create_run(
        self,
        claims: ReceivedFile | None,
        invoices: ReceivedFile | None,
        tolerance: Tolerance,
        *,
        max_problems: int,
        receive_ms: float = 0.0,
        audit: Callable[[RunPublic], Event] | None = None,
    ) -> RunPublic:
        """Validate, load and reconcile atomically, with ``audit``'s record of the new run.
        Raises RejectedUpload with every problem."""

    def latest_run_id(self) -> int | None: ...

    def list_runs(self, page: Page) -> tuple[list[RunPublic], int]: ...

    def get_run(self, run_id: int) -> RunPublic: ...

    def delete_run(self, run_id: int, audit: Event | None = None) -> None: ...

    def summary(self, run_id: int) -> Summary: ...

    def results(self, run_id: int, query: ResultQuery) -> ResultPage: ...

    def orphans(self, run_id: int, page: Page) -> InvoicePage: ...

    def claim(self, run_id: int, claim_id: str) -> ClaimDetail: ...

    def export_results(self, run_id: int, filt: ResultFilter, sort: Sort) -> BatchStream:
        """Every matching row, in order, as Arrow batches of bounded size."""

    def export_orphans(self, run_id: int) -> BatchStream: ...

    def count_results(self, run_id: int, filt: ResultFilter) -> int: ...

    def record_event(
        self,
        actor: str,
        action: str,
        *,
        run_id: int | None = None,
        row_count: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append to the audit trail (counts and hashes only, never patient data)."""

    def audit(self, page: Page) -> AuditPage: ...

    def runs_created_before(self, moment: dt.datetime) -> list[int]: ...

    def close(self) -> None: ...


__all__ = ["EXPORT_BATCH_ROWS", "BatchStream", "Event", "Store", "Timings"]
