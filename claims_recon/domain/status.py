"""Reconciliation statuses and tolerance, with a pure-Python reference of the rule.

The engine executes the rule as SQL (``claims_recon.engine.rules``); this module is the
readable statement of it, used by tests to check the engine and by people to understand it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from claims_recon.domain.money import CENTS


class Status(StrEnum):
    BALANCED = "BALANCED"
    UNDERPAID = "UNDERPAID"
    OVERPAID = "OVERPAID"
    NO_INVOICES = "NO_INVOICES"


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How far invoices may miss the charges and still count as balanced.

    ``amount`` is absolute money; ``percent`` is a percentage of the claim's charges. When
    both are set the more lenient one applies. The default (0, 0) means exact.
    """

    amount: Decimal = Decimal("0.00")
    percent: Decimal = Decimal("0")

    def __post_init__(self) -> None:
        if self.amount < 0 or self.percent < 0:
            raise ValueError("tolerance must not be negative")
        if self.percent > 100:
            raise ValueError("tolerance percent must be at most 100")

    def allowed(self, charges: Decimal) -> Decimal:
        """The largest |variance| that still counts as balanced for these charges."""
        by_percent = abs(charges) * self.percent / Decimal(100)
        return max(self.amount, by_percent)

    @property
    def is_exact(self) -> bool:
        return self.amount == 0 and self.percent == 0


def classify(
    charges: Decimal, invoice_values: list[Decimal], tolerance: Tolerance = Tolerance()
) -> tuple[Status, Decimal | None, Decimal | None]:
    """Reference rule for one claim: (status, invoice_total, variance)."""
    if not invoice_values:
        return Status.NO_INVOICES, None, None
    total = sum(invoice_values, Decimal("0")).quantize(CENTS)
    variance = (total - charges).quantize(CENTS)
    if abs(variance) <= tolerance.allowed(charges):
        return Status.BALANCED, total, variance
    if variance < 0:
        return Status.UNDERPAID, total, variance
    return Status.OVERPAID, total, variance
