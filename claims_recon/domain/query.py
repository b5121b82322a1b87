"""What a user may ask of a run's results: filters, sort and page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from claims_recon.domain.status import Status

RESULT_COLUMNS = (
    "claim_id",
    "patient_id",
    "date_of_service",
    "charges_amount",
    "invoice_count",
    "invoice_total",
    "variance",
    "status",
    "has_refunds",
)
SORTABLE = frozenset(RESULT_COLUMNS)
INVOICE_COLUMNS = ("invoice_id", "claim_id", "transaction_value")


@dataclass(frozen=True, slots=True)
class ResultFilter:
    statuses: tuple[Status, ...] = ()
    patient_id: str | None = None
    claim_search: str | None = None  # case-insensitive substring of claim_id
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    variance_min: Decimal | None = None
    variance_max: Decimal | None = None
    has_refunds: bool | None = None


@dataclass(frozen=True, slots=True)
class Sort:
    column: str = "claim_id"
    descending: bool = False

    def __post_init__(self) -> None:
        if self.column not in SORTABLE:
            raise ValueError(
                f"cannot sort by {self.column!r}; sortable: {', '.join(sorted(SORTABLE))}"
            )

    @classmethod
    def parse(cls, text: str | None) -> Sort:
        """``variance`` sorts ascending, ``-variance`` descending."""
        if not text:
            return cls()
        text = text.strip()
        return cls(text.lstrip("-"), text.startswith("-"))

    def __str__(self) -> str:
        return ("-" if self.descending else "") + self.column


@dataclass(frozen=True, slots=True)
class Page:
    skip: int = 0
    limit: int = 100


@dataclass(frozen=True, slots=True)
class ResultQuery:
    filter: ResultFilter = field(default_factory=ResultFilter)
    sort: Sort = field(default_factory=Sort)
    page: Page = field(default_factory=Page)
