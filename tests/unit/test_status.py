"""The reconciliation rule for one claim, as a person states it."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from claims_recon.domain.status import Status, Tolerance, classify


def test_no_invoices_has_no_total_and_no_variance():
    assert classify(D("100.00"), []) == (Status.NO_INVOICES, None, None)


@pytest.mark.parametrize(
    ("charges", "invoices", "status", "variance"),
    [
        ("100.00", ["50.00", "50.00"], Status.BALANCED, "0.00"),
        ("200.00", ["150.00"], Status.UNDERPAID, "-50.00"),
        ("100.00", ["80.00", "30.00"], Status.OVERPAID, "10.00"),
        ("100.00", ["150.00", "-50.00"], Status.BALANCED, "0.00"),  # refund nets out
        ("0.00", ["0.00"], Status.BALANCED, "0.00"),
        ("0.10", ["0.20", "-0.10"], Status.BALANCED, "0.00"),  # never 0.30000000000000004
    ],
)
def test_exact_statuses(charges, invoices, status, variance):
    result = classify(D(charges), [D(v) for v in invoices])
    assert result[0] is status
    assert result[2] == D(variance)


def test_amount_tolerance_is_inclusive():
    tolerance = Tolerance(amount=D("0.50"))
    assert classify(D("100.00"), [D("99.50")], tolerance)[0] is Status.BALANCED
    assert classify(D("100.00"), [D("99.49")], tolerance)[0] is Status.UNDERPAID
    assert classify(D("100.00"), [D("100.50")], tolerance)[0] is Status.BALANCED
    assert classify(D("100.00"), [D("100.51")], tolerance)[0] is Status.OVERPAID


def test_percent_tolerance_is_of_the_charges():
    tolerance = Tolerance(percent=D("10"))
    assert classify(D("200.00"), [D("180.00")], tolerance)[0] is Status.BALANCED
    assert classify(D("200.00"), [D("179.99")], tolerance)[0] is Status.UNDERPAID


def test_the_more_lenient_tolerance_applies():
    tolerance = Tolerance(amount=D("5.00"), percent=D("1"))
    assert tolerance.allowed(D("100.00")) == D("5.00")
    assert tolerance.allowed(D("1000.00")) == D("10.00")


@pytest.mark.parametrize(
    "kwargs", [{"amount": D("-1")}, {"percent": D("-1")}, {"percent": D("101")}]
)
def test_invalid_tolerance(kwargs):
    with pytest.raises(ValueError, match="tolerance"):
        Tolerance(**kwargs)
