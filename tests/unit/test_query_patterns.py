"""The query-parameter patterns published in the OpenAPI schema say exactly what is accepted."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import given
from hypothesis import strategies as st

from claims_recon.api.deps import DATE_PATTERN, STATUS_PATTERN


def _real_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


@given(st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32))
def test_date_pattern_matches_exactly_the_real_dates(year, month, day):
    text = f"{year:04d}-{month:02d}-{day:02d}"
    assert bool(re.fullmatch(DATE_PATTERN, text)) == _real_date(text)


def test_date_pattern_on_leap_days():
    for year, leap in ((2000, True), (1900, False), (2024, True), (2023, False), (400, True)):
        assert bool(re.fullmatch(DATE_PATTERN, f"{year:04d}-02-29")) == leap
    assert re.fullmatch(DATE_PATTERN, "")  # an empty form field means "not given"


def test_status_pattern_takes_any_case_and_lists():
    for ok in ("UNDERPAID", "underpaid", "Balanced,no_invoices", " OVERPAID , UNDERPAID "):
        assert re.fullmatch(STATUS_PATTERN, ok)
    for bad in ("PAID", "UNDERPAID,,", ",", "", "BALANCED,PAID"):
        assert not re.fullmatch(STATUS_PATTERN, bad)
