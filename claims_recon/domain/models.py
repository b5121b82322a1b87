"""Typed shapes of what the service returns. One family per entity (…Public, …List)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from claims_recon.domain.status import Status

# Exact decimals, written in JSON as plain numbers with two places (see api.json), so the
# schema says "number" where pydantic would otherwise document a string.
Money = Annotated[Decimal, WithJsonSchema({"type": "number", "examples": [1200.5]})]
Percent = Annotated[Decimal, WithJsonSchema({"type": "number", "examples": [2.5]})]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class ProblemPublic(_Model):
    rule: str = Field(description="Short name of the rule that was broken, e.g. 'amount'.")
    message: str
    file: str | None = Field(None, description="'claims' or 'invoices' for file problems.")
    filename: str | None = None
    line: int | None = Field(None, description="1-based line in the file, as an editor counts.")
    column: str | None = None
    value: str | None = None


class FileInfo(_Model):
    filename: str
    size_bytes: int
    sha256: str
    rows: int
    from_run_id: int | None = Field(
        None,
        description="Set when this file was not sent with the upload and was taken from an "
        "earlier run.",
    )


class StatusCounts(_Model):
    total_claims: int
    balanced: int
    underpaid: int
    overpaid: int
    no_invoices: int
    orphan_invoices: int


class Timings(_Model):
    receive_ms: float = Field(0, description="Receiving the request body onto disk.")
    reconcile_ms: float = Field(
        0, description="Parsing, checking and storing the files, reconciling, summarising."
    )
    total_ms: float = 0


class RunPublic(_Model):
    run_id: int
    created_at: dt.datetime
    claims: FileInfo
    invoices: FileInfo
    tolerance_amount: Money
    tolerance_percent: Percent
    counts: StatusCounts
    timings: Timings
    warnings: list[ProblemPublic] = []


class RunList(_Model):
    data: list[RunPublic]
    count: int


class ResultRow(_Model):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "claim_id": "c2",
                    "patient_id": "p2",
                    "date_of_service": "2023-01-02",
                    "charges_amount": 200.00,
                    "invoice_count": 1,
                    "invoice_total": 150.00,
                    "variance": -50.00,
                    "status": "UNDERPAID",
                    "has_refunds": False,
                }
            ]
        },
    )

    claim_id: str
    patient_id: str
    date_of_service: dt.date
    charges_amount: Money
    invoice_count: int
    invoice_total: Money | None
    variance: Money | None
    status: Status
    has_refunds: bool = Field(description="True when at least one invoice is negative.")


class ResultPage(_Model):
    run_id: int | None
    data: list[ResultRow]
    total: int
    skip: int
    limit: int


class InvoiceRow(_Model):
    invoice_id: str
    claim_id: str
    transaction_value: Money


class InvoicePage(_Model):
    run_id: int | None
    data: list[InvoiceRow]
    total: int
    skip: int
    limit: int


class ClaimDetail(_Model):
    run_id: int
    claim: ResultRow
    invoices: list[InvoiceRow]
    tolerance_allowed: Money = Field(
        description="The largest |variance| that counts as balanced for this claim."
    )
    explanation: str


class StatusBreakdown(_Model):
    status: Status
    count: int
    charges: Money
    invoiced: Money
    variance: Money


class MonthBreakdown(_Model):
    month: str = Field(description="Month of service, YYYY-MM.")
    claims: int
    charges: Money
    invoiced: Money
    variance: Money


class PatientBalance(_Model):
    patient_id: str
    open_balance: Money
    claims: int


class VarianceBucket(_Model):
    label: str
    lower: Money | None = Field(description="Inclusive lower bound; null = unbounded.")
    upper: Money | None = Field(description="Exclusive upper bound; null = unbounded.")
    count: int


class Summary(_Model):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "run_id": 1,
                    "total_claims": 2,
                    "balanced": 1,
                    "overpaid": 0,
                    "underpaid": 1,
                    "no_invoices": 0,
                    "orphan_invoices": 0,
                    "total_charges": 300.00,
                    "total_invoiced": 250.00,
                    "net_variance": -50.00,
                    "open_underpaid_balance": 50.00,
                }
            ]
        },
    )

    run_id: int | None
    total_claims: int = 0
    balanced: int = 0
    overpaid: int = 0
    underpaid: int = 0
    no_invoices: int = 0
    orphan_invoices: int = 0
    claims_with_refunds: int = 0
    total_charges: Money = Decimal("0.00")
    total_invoiced: Money = Decimal("0.00")
    net_variance: Money = Decimal("0.00")
    open_underpaid_balance: Money = Decimal("0.00")
    overpaid_amount: Money = Decimal("0.00")
    uninvoiced_charges: Money = Decimal("0.00")
    orphan_total: Money = Decimal("0.00")
    by_status: list[StatusBreakdown] = []
    by_month: list[MonthBreakdown] = []
    top_patients: list[PatientBalance] = []
    variance_distribution: list[VarianceBucket] = []
    message: str | None = None


class AuditEvent(_Model):
    event_id: int
    at: dt.datetime
    actor: str = Field(description="The token name, or 'local' when authentication is off.")
    action: str = Field(description="upload, upload_rejected, view, export, delete or expire.")
    run_id: int | None
    row_count: int | None
    detail: dict[str, Any] = Field(
        description="Counts, hashes, formats and view names; never patient data."
    )


class AuditPage(_Model):
    data: list[AuditEvent]
    total: int
    skip: int
    limit: int


class UploadResult(_Model):
    run_id: int
    run: RunPublic
    summary: Summary
    warnings: list[ProblemPublic] = []


def dump(model: BaseModel) -> dict[str, Any]:
    """Python-mode dump: Decimals stay Decimals for the exact JSON encoder."""
    return model.model_dump(mode="python")
