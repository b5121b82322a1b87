"""Runs: listing, reading, deleting, reuse of an earlier run's file, persistence, orphans,
claim detail and the summary."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

import pytest
from fastapi.testclient import TestClient

from claims_recon.api.app import create_app
from tests.api.crafted import CLAIMS, INVOICES
from tests.conftest import SEED_CLAIMS, SEED_INVOICES, csv_text, upload


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def created(response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return response.json()


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "total", "details"}
    return body["error"]


@pytest.fixture
def run(client) -> dict[str, Any]:
    return created(upload(client, CLAIMS, INVOICES, claims_name="jan-claims.csv"))


# -- list and read ------------------------------------------------------------------


def test_list_runs_newest_first_with_files(client):
    created(upload(client, SEED_CLAIMS, SEED_INVOICES))
    created(
        upload(
            client,
            CLAIMS,
            INVOICES,
            claims_name="c2.csv",
            invoices_name="i2.csv",
            tolerance_amount="0.50",
            tolerance_percent="2.5",
        )
    )
    body = client.get("/api/runs").json()
    assert set(body) == {"data", "count"}
    assert body["count"] == 2
    assert [r["run_id"] for r in body["data"]] == [2, 1]
    newest, oldest = body["data"]
    assert newest["claims"] == {
        "filename": "c2.csv",
        "size_bytes": len(CLAIMS.encode()),
        "sha256": sha256(CLAIMS),
        "rows": 7,
        "from_run_id": None,
    }
    assert newest["invoices"] == {
        "filename": "i2.csv",
        "size_bytes": len(INVOICES.encode()),
        "sha256": sha256(INVOICES),
        "rows": 9,
        "from_run_id": None,
    }
    assert newest["tolerance_amount"] == 0.5
    assert newest["tolerance_percent"] == 2.5
    assert newest["counts"] == {
        "total_claims": 7,
        "balanced": 1,
        "underpaid": 2,
        "overpaid": 2,
        "no_invoices": 2,
        "orphan_invoices": 2,
    }
    assert oldest["claims"]["sha256"] == sha256(SEED_CLAIMS)
    assert oldest["claims"]["size_bytes"] == len(SEED_CLAIMS.encode())
    assert oldest["invoices"]["rows"] == 3
    assert oldest["tolerance_amount"] == 0
    assert oldest["tolerance_percent"] == 0
    assert oldest["counts"] == {
        "total_claims": 2,
        "balanced": 1,
        "underpaid": 1,
        "overpaid": 0,
        "no_invoices": 0,
        "orphan_invoices": 0,
    }
    for item in body["data"]:
        assert client.get(f"/api/runs/{item['run_id']}").json() == item
    paged = client.get("/api/runs", params={"limit": 1, "skip": 1}).json()
    assert paged["count"] == 2
    assert [r["run_id"] for r in paged["data"]] == [1]


def test_size_and_hash_are_of_the_bytes_sent(client):
    claims = SEED_CLAIMS.replace("\n", "\r\n")
    body = created(upload(client, "\ufeff" + claims, SEED_INVOICES))
    sent = ("\ufeff" + claims).encode()
    assert body["run"]["claims"]["size_bytes"] == len(sent)
    assert body["run"]["claims"]["sha256"] == hashlib.sha256(sent).hexdigest()
    assert body["run"]["claims"]["rows"] == 2


def test_get_run_and_upload_response_agree(client, run):
    one = client.get("/api/runs/1").json()
    assert one == run["run"]
    assert run["run_id"] == 1
    assert one["claims"]["filename"] == "jan-claims.csv"
    assert one["created_at"].endswith("+00:00")


@pytest.mark.parametrize(
    "path",
    [
        "/api/runs/999",
        "/api/runs/999/reconciliation",
        "/api/runs/999/summary",
        "/api/runs/999/orphans",
        "/api/runs/999/claims/x",
        "/api/runs/999/claims/A1",
        "/api/runs/999/reconciliation/export",
        "/api/runs/999/reconciliation/export?format=xlsx",
        "/api/runs/999/reconciliation/export?format=parquet",
        "/api/runs/999/orphans/export",
        "/api/runs/999/orphans/export?format=xlsx",
        "/api/runs/999/orphans/export?format=parquet",
    ],
)
def test_unknown_run_is_404_everywhere(client, run, path):
    error = error_of(client.get(path), 404)
    assert error["code"] == "not_found"
    assert "999" in error["message"]


def test_delete_unknown_run_is_404(client, run):
    assert error_of(client.delete("/api/runs/999"), 404)["code"] == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        "/api/runs/abc",
        "/api/runs/1.5",
        "/api/runs/0",
        "/api/runs/-1",
        "/api/runs/abc/reconciliation",
        "/api/runs/x/summary",
        "/api/runs/x/orphans",
        "/api/runs/x/claims/A1",
        "/api/runs/x/reconciliation/export",
    ],
)
def test_non_integer_run_id_is_422(client, run, path):
    error = error_of(client.get(path), 422)
    assert error["code"] == "invalid_request"
    assert error["details"][0]["column"] == "run_id"


# -- delete -------------------------------------------------------------------------


def test_delete_run(client):
    created(upload(client, SEED_CLAIMS, SEED_INVOICES))
    created(upload(client, CLAIMS, INVOICES))
    created(upload(client, SEED_CLAIMS, SEED_INVOICES, tolerance_amount="50"))
    before_1 = client.get("/api/runs/1").json()
    before_3 = client.get("/api/runs/3/reconciliation").json()
    # Every view of run 2 read once first, so nothing remembered of it may outlive it.
    claim_id = client.get("/api/runs/2/reconciliation").json()["data"][0]["claim_id"]
    views = [
        "/api/runs/2",
        "/api/runs/2/reconciliation",
        "/api/runs/2/reconciliation?status=UNDERPAID&sort=-variance&skip=1",
        "/api/runs/2/summary",
        "/api/runs/2/orphans",
        f"/api/runs/2/claims/{claim_id}",
        "/api/runs/2/reconciliation/export",
    ]
    assert [client.get(view).status_code for view in views] == [200] * len(views)

    response = client.delete("/api/runs/2")
    assert response.status_code == 204
    assert response.content == b""

    for view in views:
        assert error_of(client.get(view), 404)["code"] == "not_found", view
    assert error_of(client.delete("/api/runs/2"), 404)["code"] == "not_found"
    listing = client.get("/api/runs").json()
    assert listing["count"] == 2
    assert [r["run_id"] for r in listing["data"]] == [3, 1]
    assert client.get("/api/runs/1").json() == before_1
    assert client.get("/api/runs/3/reconciliation").json() == before_3
    assert [r["status"] for r in before_3["data"]] == ["BALANCED", "BALANCED"]


def test_deleting_the_latest_run_makes_the_previous_one_latest(client):
    created(upload(client, SEED_CLAIMS, SEED_INVOICES))
    created(upload(client, CLAIMS, INVOICES))
    assert client.delete("/api/runs/2").status_code == 204
    assert client.get("/api/reconciliation").json()["run_id"] == 1
    assert client.get("/api/summary").json()["run_id"] == 1
    # A new run gets a new number: numbers are never reused.
    assert created(upload(client, SEED_CLAIMS, SEED_INVOICES))["run_id"] == 3


def test_deleting_the_run_whose_files_are_reused_keeps_the_later_run(client):
    created(upload(client, CLAIMS, INVOICES))
    later_invoices = "invoice_id,claim_id,transaction_value\nj1,A1,90.00\nj2,D1,40.00\n"
    later = created(upload(client, invoices=later_invoices))
    assert later["run"]["claims"]["from_run_id"] == 1
    before = {
        path: client.get(path).json()
        for path in (
            "/api/runs/2",
            "/api/runs/2/reconciliation",
            "/api/runs/2/summary",
            "/api/runs/2/orphans",
            "/api/runs/2/claims/A1",
        )
    }
    assert client.delete("/api/runs/1").status_code == 204
    for path, body in before.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.json() == body, path
    export = client.get("/api/runs/2/reconciliation/export")
    assert export.status_code == 200
    assert export.text.count("\n") == 8  # header + 7 claims
    # Reusing again after the delete still finds the claims.
    third = created(upload(client, invoices="invoice_id,claim_id,transaction_value\nk1,B2,80\n"))
    assert third["run"]["claims"]["from_run_id"] == 2
    assert third["summary"]["total_claims"] == 7
    assert third["summary"]["balanced"] == 1


# -- a later upload with only one file ----------------------------------------------


def test_upload_with_only_invoices_reuses_the_latest_claims(client, run):
    later_invoices = csv_text(
        """
        invoice_id,claim_id,transaction_value
        j1,A1,90.00
        j2,B2,80.00
        j3,NOPE,1.00
        """
    )
    body = created(upload(client, invoices=later_invoices, invoices_name="feb.csv"))
    assert body["run_id"] == 2
    claims = body["run"]["claims"]
    assert claims == {
        "filename": "jan-claims.csv",
        "size_bytes": len(CLAIMS.encode()),
        "sha256": sha256(CLAIMS),
        "rows": 7,
        "from_run_id": 1,
    }
    assert body["run"]["invoices"]["from_run_id"] is None
    assert body["run"]["invoices"]["filename"] == "feb.csv"
    rows = {r["claim_id"]: r for r in client.get("/api/reconciliation").json()["data"]}
    assert rows["A1"]["status"] == "UNDERPAID"
    assert rows["A1"]["variance"] == -10.0
    assert rows["B2"]["status"] == "BALANCED"
    assert rows["B1"]["status"] == "NO_INVOICES"
    assert len(rows) == 7
    assert body["summary"]["orphan_invoices"] == 1
    assert [o["claim_id"] for o in client.get("/api/orphans").json()["data"]] == ["NOPE"]
    # The earlier run is untouched.
    assert client.get("/api/runs/1/summary").json()["orphan_invoices"] == 2


def test_upload_with_only_claims_reuses_the_latest_invoices(client, run):
    new_claims = "claim_id,patient_id,date_of_service,charges_amount\nA1,p1,2023-01-05,100.00\n"
    body = created(upload(client, new_claims))
    assert body["run"]["invoices"]["from_run_id"] == 1
    assert body["run"]["invoices"]["sha256"] == sha256(INVOICES)
    assert body["summary"]["total_claims"] == 1
    assert body["summary"]["balanced"] == 1
    assert body["summary"]["orphan_invoices"] == 8


# -- persistence --------------------------------------------------------------------


def test_runs_persist_across_a_restart(settings):
    with TestClient(create_app(settings)) as first:
        created(upload(first, CLAIMS, INVOICES))
        created(upload(first, SEED_CLAIMS, SEED_INVOICES))
        runs_before = first.get("/api/runs").json()
        results_before = first.get("/api/runs/1/reconciliation").json()
        summary_before = first.get("/api/runs/1/summary").json()
    with TestClient(create_app(settings)) as second:
        assert second.get("/api/runs").json() == runs_before
        assert second.get("/api/runs/1/reconciliation").json() == results_before
        assert second.get("/api/runs/1/summary").json() == summary_before
        assert second.get("/api/reconciliation").json()["run_id"] == 2
        assert created(upload(second, invoices=SEED_INVOICES))["run_id"] == 3


# -- orphans ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/orphans", "/api/runs/1/orphans"])
def test_orphans(client, run, path):
    response = client.get(path)
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "run_id": 1,
        "data": [
            {"invoice_id": "i9", "claim_id": "ZZ1", "transaction_value": -10.5},
            {"invoice_id": "i8", "claim_id": "ZZ9", "transaction_value": 75.0},
        ],
        "total": 2,
        "skip": 0,
        "limit": 100,
    }
    assert '"transaction_value":-10.50' in response.text
    page = client.get(path, params={"skip": 1, "limit": 1}).json()
    assert page["total"] == 2
    assert [o["invoice_id"] for o in page["data"]] == ["i8"]


def test_summary_counts_orphans(client, run):
    summary = client.get("/api/runs/1/summary").json()
    assert summary["orphan_invoices"] == 2
    assert summary["orphan_total"] == 64.5
    assert '"orphan_total":64.50' in client.get("/api/runs/1/summary").text
    # Orphans are not invoiced against any claim.
    assert summary["total_invoiced"] == 775.0


def test_orphans_before_any_upload(client):
    body = client.get("/api/orphans").json()
    assert body == {"run_id": None, "data": [], "total": 0, "skip": 0, "limit": 100}


# -- claim detail -------------------------------------------------------------------


def test_claim_detail(client, run):
    response = client.get("/api/runs/1/claims/C1")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"run_id", "claim", "invoices", "tolerance_allowed", "explanation"}
    assert body["run_id"] == 1
    assert body["claim"] == {
        "claim_id": "C1",
        "patient_id": "p2",
        "date_of_service": "2023-03-01",
        "charges_amount": 120.0,
        "invoice_count": 2,
        "invoice_total": 150.0,
        "variance": 30.0,
        "status": "OVERPAID",
        "has_refunds": True,
    }
    assert body["invoices"] == [
        {"invoice_id": "i5", "claim_id": "C1", "transaction_value": 200.0},
        {"invoice_id": "i6", "claim_id": "C1", "transaction_value": -50.0},
    ]
    assert body["tolerance_allowed"] == 0
    for number in ("150.00", "120.00", "30.00", "OVERPAID"):
        assert number in body["explanation"]


def test_claim_detail_underpaid_balanced_and_no_invoices(client, run):
    a2 = client.get("/api/runs/1/claims/A2").json()
    assert a2["claim"]["status"] == "UNDERPAID"
    for text in ("150.00", "200.00", "-50.00", "UNDERPAID"):
        assert text in a2["explanation"]
    a1 = client.get("/api/runs/1/claims/A1").json()
    assert "BALANCED" in a1["explanation"] and "100.00" in a1["explanation"]
    b2 = client.get("/api/runs/1/claims/B2").json()
    assert b2["invoices"] == []
    assert b2["claim"]["invoice_total"] is None
    assert "80.00" in b2["explanation"] and "NO_INVOICES" in b2["explanation"]


def test_claim_detail_with_tolerance(client):
    created(upload(client, CLAIMS, INVOICES, tolerance_amount="10", tolerance_percent="25"))
    detail = client.get("/api/runs/1/claims/C1").json()
    assert detail["tolerance_allowed"] == 30.0  # 25% of 120.00 beats 10.00
    assert detail["claim"]["status"] == "BALANCED"
    assert "30.00" in detail["explanation"]
    c2 = client.get("/api/runs/1/claims/C2").json()
    assert c2["tolerance_allowed"] == 12.5  # 25% of 50.00
    assert c2["claim"]["status"] == "UNDERPAID"


def test_unknown_claim_is_404(client, run):
    error = error_of(client.get("/api/runs/1/claims/NOPE"), 404)
    assert error["code"] == "not_found"
    assert "NOPE" in error["message"]
    # Claim ids are exact: no case folding, no substring.
    assert client.get("/api/runs/1/claims/c1").status_code == 404
    assert client.get("/api/runs/1/claims/C").status_code == 404
    # An orphan invoice's claim_id is not a claim.
    assert client.get("/api/runs/1/claims/ZZ9").status_code == 404


# -- before any upload --------------------------------------------------------------


def test_summary_before_any_upload(client):
    response = client.get("/api/summary")
    assert response.status_code == 200
    body = response.json()
    assert body["run_id"] is None
    assert isinstance(body["message"], str) and "upload" in body["message"].lower()
    for key in (
        "total_claims",
        "balanced",
        "overpaid",
        "underpaid",
        "no_invoices",
        "orphan_invoices",
        "claims_with_refunds",
        "total_charges",
        "total_invoiced",
        "net_variance",
        "open_underpaid_balance",
        "overpaid_amount",
        "uninvoiced_charges",
        "orphan_total",
    ):
        assert body[key] == 0, key


def test_reconciliation_before_any_upload(client):
    response = client.get("/api/reconciliation")
    assert response.status_code == 200
    assert response.json() == {"run_id": None, "data": [], "total": 0, "skip": 0, "limit": 100}
    assert client.get("/api/runs").json() == {"data": [], "count": 0}


# -- summary ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/summary", "/api/runs/1/summary"])
def test_summary_totals(client, run, path):
    summary = client.get(path).json()
    assert summary["run_id"] == 1
    assert summary["message"] is None
    assert {
        key: summary[key]
        for key in (
            "total_claims",
            "balanced",
            "overpaid",
            "underpaid",
            "no_invoices",
            "orphan_invoices",
            "claims_with_refunds",
        )
    } == {
        "total_claims": 7,
        "balanced": 1,
        "overpaid": 2,
        "underpaid": 2,
        "no_invoices": 2,
        "orphan_invoices": 2,
        "claims_with_refunds": 1,
    }
    assert summary["total_charges"] == 890.0
    assert summary["total_invoiced"] == 775.0
    assert summary["open_underpaid_balance"] == 75.0
    assert summary["overpaid_amount"] == 80.0
    assert summary["uninvoiced_charges"] == 120.0
    assert summary["net_variance"] == 5.0
    assert run["summary"] == summary


def test_status_counts_add_up(client, run):
    summary = client.get("/api/summary").json()
    statuses = ("balanced", "overpaid", "underpaid", "no_invoices")
    assert sum(summary[s] for s in statuses) == summary["total_claims"]
    assert sum(b["count"] for b in summary["by_status"]) == summary["total_claims"]
    assert sum(m["claims"] for m in summary["by_month"]) == summary["total_claims"]


def test_net_variance_is_invoiced_minus_charges_of_claims_with_invoices(client, run):
    summary = client.get("/api/summary").json()
    charges_with_invoices = summary["total_charges"] - summary["uninvoiced_charges"]
    assert summary["net_variance"] == pytest.approx(
        summary["total_invoiced"] - charges_with_invoices
    )
    assert summary["net_variance"] == pytest.approx(
        summary["overpaid_amount"] - summary["open_underpaid_balance"]
    )
    rows = client.get("/api/reconciliation").json()["data"]
    assert summary["net_variance"] == pytest.approx(
        sum(r["variance"] for r in rows if r["variance"] is not None)
    )


def test_summary_by_status(client, run):
    by_status = {b["status"]: b for b in client.get("/api/summary").json()["by_status"]}
    assert by_status == {
        "BALANCED": {
            "status": "BALANCED",
            "count": 1,
            "charges": 100.0,
            "invoiced": 100.0,
            "variance": 0.0,
        },
        "UNDERPAID": {
            "status": "UNDERPAID",
            "count": 2,
            "charges": 250.0,
            "invoiced": 175.0,
            "variance": -75.0,
        },
        "OVERPAID": {
            "status": "OVERPAID",
            "count": 2,
            "charges": 420.0,
            "invoiced": 500.0,
            "variance": 80.0,
        },
        "NO_INVOICES": {
            "status": "NO_INVOICES",
            "count": 2,
            "charges": 120.0,
            "invoiced": 0.0,
            "variance": 0.0,
        },
    }


def test_summary_by_month(client, run):
    assert client.get("/api/summary").json()["by_month"] == [
        {"month": "2023-01", "claims": 2, "charges": 300.0, "invoiced": 250.0, "variance": -50.0},
        {"month": "2023-02", "claims": 2, "charges": 380.0, "invoiced": 350.0, "variance": 50.0},
        {"month": "2023-03", "claims": 2, "charges": 170.0, "invoiced": 175.0, "variance": 5.0},
        {"month": "2023-04", "claims": 1, "charges": 40.0, "invoiced": 0.0, "variance": 0.0},
    ]


def test_summary_top_patients_by_open_balance(client, run):
    # p3: B2 has no invoices (80.00); p2: A2 underpaid by 50.00 (C1 is overpaid, not open);
    # p5: D1 has no invoices (40.00); p4: C2 underpaid by 25.00; p1 owes nothing.
    assert client.get("/api/summary").json()["top_patients"] == [
        {"patient_id": "p3", "open_balance": 80.0, "claims": 1},
        {"patient_id": "p2", "open_balance": 50.0, "claims": 1},
        {"patient_id": "p5", "open_balance": 40.0, "claims": 1},
        {"patient_id": "p4", "open_balance": 25.0, "claims": 1},
    ]


def test_summary_variance_distribution(client, run):
    summary = client.get("/api/summary").json()
    buckets = summary["variance_distribution"]
    counts = {b["label"]: b["count"] for b in buckets}
    assert counts["-100 to 0"] == 2  # -50, -25
    assert counts["0 (exact)"] == 1  # 0
    assert counts["0 to 100"] == 2  # 30, 50
    assert sum(counts.values()) == 5
    claims_with_invoices = summary["total_claims"] - summary["no_invoices"]
    assert sum(b["count"] for b in buckets) == claims_with_invoices
    for bucket in buckets:
        assert set(bucket) == {"label", "lower", "upper", "count"}
    # Buckets are contiguous: each one starts where the previous one ends.
    assert buckets[0]["lower"] is None and buckets[-1]["upper"] is None
    for previous, following in itertools.pairwise(buckets):
        assert previous["upper"] == following["lower"]


def test_claim_ids_with_slashes_are_found(client):
    claims = "claim_id,patient_id,date_of_service,charges_amount\nA/7,p1,2023-01-01,10.00\n"
    invoices = "invoice_id,claim_id,transaction_value\ni1,A/7,10.00\n"
    assert upload(client, claims, invoices).status_code == 201
    detail = client.get("/api/runs/1/claims/A/7")
    assert detail.status_code == 200
    assert detail.json()["claim"]["claim_id"] == "A/7"


def test_by_status_lists_every_status_in_a_fixed_order(client, run):
    by_status = client.get("/api/runs/1/summary").json()["by_status"]
    assert [b["status"] for b in by_status] == ["BALANCED", "UNDERPAID", "OVERPAID", "NO_INVOICES"]
    empty = csv_text(
        """
        claim_id,patient_id,date_of_service,charges_amount
        Z1,p1,2023-01-01,5.00
        """
    )
    assert (
        upload(client, empty, "invoice_id,claim_id,transaction_value\ni1,Z1,5.00\n").status_code
        == 201
    )
    only_balanced = client.get("/api/runs/2/summary").json()["by_status"]
    assert [(b["status"], b["count"], b["charges"]) for b in only_balanced] == [
        ("BALANCED", 1, 5.00),
        ("UNDERPAID", 0, 0.00),
        ("OVERPAID", 0, 0.00),
        ("NO_INVOICES", 0, 0.00),
    ]
