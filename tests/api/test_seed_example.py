"""The original README's example, end to end over HTTP."""

from __future__ import annotations

from tests.conftest import SEED_CLAIMS, SEED_INVOICES, upload


def test_health_is_exactly_ok(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_seed_example_reconciles_as_documented(client):
    response = upload(client, SEED_CLAIMS, SEED_INVOICES)
    assert response.status_code == 201
    body = response.json()
    assert body["run_id"] == 1
    assert body["summary"]["total_claims"] == 2
    assert body["summary"]["balanced"] == 1
    assert body["summary"]["underpaid"] == 1

    rows = client.get("/api/reconciliation").json()
    assert rows["total"] == 2
    assert rows["data"] == [
        {
            "claim_id": "c1",
            "patient_id": "p1",
            "date_of_service": "2023-01-01",
            "charges_amount": 100.00,
            "invoice_count": 2,
            "invoice_total": 100.00,
            "variance": 0.00,
            "status": "BALANCED",
            "has_refunds": False,
        },
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
        },
    ]


def test_seed_summary_top_level_keys(client, seeded):
    summary = client.get("/api/summary").json()
    assert {
        key: summary[key]
        for key in ("total_claims", "balanced", "overpaid", "underpaid", "no_invoices")
    } == {"total_claims": 2, "balanced": 1, "overpaid": 0, "underpaid": 1, "no_invoices": 0}
    assert summary["orphan_invoices"] == 0
    assert summary["total_charges"] == 300
    assert summary["total_invoiced"] == 250
    assert summary["open_underpaid_balance"] == 50


def test_money_is_written_as_two_decimal_numbers(client, seeded):
    raw = client.get("/api/reconciliation").text
    assert '"charges_amount":100.00' in raw
    assert '"variance":-50.00' in raw
