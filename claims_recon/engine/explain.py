"""The arithmetic behind one claim's status, in words a billing analyst reads."""

from __future__ import annotations

from claims_recon.domain.models import ClaimDetail, InvoiceRow, ResultRow
from claims_recon.domain.money import CENTS
from claims_recon.domain.status import Status, Tolerance


def explain_claim(
    run_id: int, claim: ResultRow, invoices: list[InvoiceRow], tolerance: Tolerance
) -> ClaimDetail:
    allowed = tolerance.allowed(claim.charges_amount).quantize(CENTS)
    if claim.status is Status.NO_INVOICES:
        text = (
            f"No invoice points at this claim, so its charges of {claim.charges_amount} "
            "are unmatched (NO_INVOICES)."
        )
    else:
        count = claim.invoice_count
        text = (
            f"{count} invoice{'s' if count != 1 else ''} total {claim.invoice_total}; "
            f"minus charges of {claim.charges_amount} gives a variance of {claim.variance}. "
        )
        if claim.status is Status.BALANCED:
            text += f"|{claim.variance}| is within the tolerance of {allowed}, so BALANCED."
        elif claim.status is Status.UNDERPAID:
            text += f"It is below zero by more than the tolerance of {allowed}, so UNDERPAID."
        else:
            text += f"It is above zero by more than the tolerance of {allowed}, so OVERPAID."
    return ClaimDetail(
        run_id=run_id,
        claim=claim,
        invoices=invoices,
        tolerance_allowed=allowed,
        explanation=text,
    )
