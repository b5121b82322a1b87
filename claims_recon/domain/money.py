"""Exact money: two decimal places, never a float.

The accepted amount syntax is defined once here, as a regular expression that both the
pure-Python parser below and the engine's SQL validation use.

Accepted (after trimming spaces): an optional sign, an optional ``$``, digits with an
optional point and one or two decimals; thousands separators only in correct groups of
three (``1,200.50``); accounting negatives in parentheses (``(50.00)`` is ``-50.00``).
Rejected: more than two decimals (never silently rounded), exponents, other currency
symbols, empty values, and magnitudes of 10^16 or more (leading zeros do not count).
"""

from __future__ import annotations

import re
from decimal import Decimal

CENTS = Decimal("0.01")
MAX_INTEGER_DIGITS = 16  # DECIMAL(18, 2)

_NUMBER = r"(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]{1,2})?|\.[0-9]{1,2})"
AMOUNT_PATTERN = rf"^(?:[+-]?\$?{_NUMBER}|\$[+-]{_NUMBER}|\(\$?{_NUMBER}\))$"
_AMOUNT_RE = re.compile(AMOUNT_PATTERN)


def is_amount(text: str) -> bool:
    stripped = text.strip()
    return _AMOUNT_RE.match(stripped) is not None and abs(_number(stripped)) < _LIMIT


_LIMIT = Decimal(10) ** MAX_INTEGER_DIGITS


def _number(stripped: str) -> Decimal:
    return Decimal(stripped.strip("()").replace("$", "").replace(",", ""))


def parse_amount(text: str) -> Decimal:
    """Parse one amount exactly; ValueError if it does not follow the accepted syntax."""
    stripped = text.strip()
    if not is_amount(stripped):
        raise ValueError(f"{text!r} is not an amount")
    negative = stripped.startswith("(")
    value = _number(stripped).quantize(CENTS)
    return -value if negative else value


def to_cents(value: Decimal) -> int:
    return int(value.quantize(CENTS) * 100)


def format_money(value: Decimal | None) -> str:
    return "" if value is None else f"{value.quantize(CENTS):.2f}"
