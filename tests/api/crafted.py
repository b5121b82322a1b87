"""A small run with every status, a refund (C1's -50.00 invoice), claims without invoices
(B2, D1) and two orphan invoices (i8 -> ZZ9, i9 -> ZZ1)."""

from __future__ import annotations

from tests.conftest import csv_text

CLAIMS = csv_text(
    """
    claim_id,patient_id,date_of_service,charges_amount
    A1,p1,2023-01-05,100.00
    A2,p2,2023-01-20,200.00
    B1,p1,2023-02-10,300.00
    B2,p3,2023-02-28,80.00
    C1,p2,2023-03-01,120.00
    C2,p4,2023-03-15,50.00
    D1,p5,2023-04-01,40.00
    """
)
INVOICES = csv_text(
    """
    invoice_id,claim_id,transaction_value
    i1,A1,100.00
    i2,A2,150.00
    i3,B1,250.00
    i4,B1,100.00
    i5,C1,200.00
    i6,C1,-50.00
    i7,C2,25.00
    i8,ZZ9,75.00
    i9,ZZ1,-10.50
    """
)
