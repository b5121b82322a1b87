"""How values read on a page: money, counts, dates, sizes, statuses.

Pure functions, registered as Jinja filters. Amounts stay Decimal until they become text.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from claims_recon.domain.money import CENTS
from claims_recon.domain.status import Status

MINUS = "\u2212"  # a real minus sign: wider than a hyphen, so a negative is hard to miss
EMPTY = "\u2014"

STATUS_LABELS: dict[Status, str] = {
    Status.BALANCED: "Balanced",
    Status.UNDERPAID: "Underpaid",
    Status.OVERPAID: "Overpaid",
    Status.NO_INVOICES: "No invoices",
}


def money(value: Decimal | None) -> str:
    """``$1,200.50``; negatives get a real minus sign (U+2212); missing is an em dash."""
    if value is None:
        return EMPTY
    text = f"${abs(value).quantize(CENTS):,.2f}"
    return MINUS + text if value < 0 else text


def count(value: int | None) -> str:
    return EMPTY if value is None else f"{value:,}"


def percent(part: int, whole: int) -> str:
    if not whole:
        return EMPTY
    return f"{Decimal(part) * 100 / Decimal(whole):.1f}%"


def tolerance_percent(value: Decimal) -> str:
    """``1.5%`` rather than ``1.5000%``: the stored scale is not what a person typed."""
    text = format(value.normalize(), "f")
    return f"{text}%"


def tolerance(amount: Decimal, percent: Decimal, *, short: bool = False) -> str:
    """A run's tolerance in words: ``exact``, ``$0.50``, ``1% of the charges`` or both."""
    if amount == 0 and percent == 0:
        return "exact"
    parts = []
    if amount:
        parts.append(money(amount))
    if percent:
        parts.append(tolerance_percent(percent) + ("" if short else " of the charges"))
    text = " or ".join(parts)
    return text if short or len(parts) == 1 else f"{text}, whichever is more lenient"


def date(value: dt.date | None) -> str:
    return EMPTY if value is None else value.isoformat()


def timestamp(value: dt.datetime | None) -> str:
    """Runs are stored in UTC; say so rather than guess the reader's zone on the server."""
    if value is None:
        return EMPTY
    return value.strftime("%Y-%m-%d %H:%M UTC")


def size(value: int) -> str:
    if value < 1024:
        return f"{value:,} bytes"
    amount = value / 1024
    for unit in ("KB", "MB"):
        if amount < 1024:
            return f"{amount:,.1f} {unit}"
        amount /= 1024
    return f"{amount:,.1f} GB"


def status_label(value: Status | str) -> str:
    return STATUS_LABELS.get(Status(value), str(value))


def status_slug(value: Status | str) -> str:
    """CSS modifier for a status colour: ``no-invoices``."""
    return str(Status(value).value).lower().replace("_", "-")


FILTERS = {
    "money": money,
    "count": count,
    "date": date,
    "timestamp": timestamp,
    "size": size,
    "status_label": status_label,
    "status_slug": status_slug,
    "tolerance_percent": tolerance_percent,
}
