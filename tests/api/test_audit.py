"""The audit trail: who uploaded, viewed, exported and deleted which run — never PHI."""

from __future__ import annotations

import datetime as dt
import hashlib

from fastapi.testclient import TestClient

from claims_recon.access import token_hash
from claims_recon.api.app import create_app
from claims_recon.config import Settings
from claims_recon.services.audit import expire_runs
from tests.conftest import SEED_CLAIMS, SEED_INVOICES, csv_text, upload

PHI = "PATIENT-SECRET-42"
CLAIMS = SEED_CLAIMS.replace("p2", PHI)


def _events(client):
    return client.get("/api/audit", params={"limit": 100}).json()["data"]


def test_each_action_is_recorded_with_counts_and_hashes_only(client):
    assert upload(client, CLAIMS, SEED_INVOICES).status_code == 201
    bad = csv_text(
        """
        claim_id,patient_id,date_of_service,charges_amount
        c1,p1,2023-02-30,1.00
        """
    )
    assert upload(client, bad, SEED_INVOICES).status_code == 422
    client.get("/api/runs/1/reconciliation", params={"patient_id": PHI, "status": "UNDERPAID"})
    client.get("/api/runs/1/summary")
    client.get("/api/runs/1/claims/c2")
    client.get("/api/runs/1/reconciliation/export", params={"format": "csv"}).read()
    assert client.delete("/api/runs/1").status_code == 204

    events = list(reversed(_events(client)))
    assert [e["action"] for e in events] == [
        "upload", "upload_rejected", "view", "view", "view", "export", "delete",
    ]  # fmt: skip
    first = events[0]
    assert first["actor"] == "local"
    assert first["run_id"] == 1
    assert first["row_count"] == 2 + 3
    assert first["detail"]["claims_sha256"] == hashlib.sha256(CLAIMS.encode()).hexdigest()
    assert first["detail"]["invoices_rows"] == 3
    assert events[1]["detail"]["problems"] == 1
    assert events[2]["detail"] == {"view": "results", "filters": ["status", "patient_id"]}
    assert events[5]["detail"]["format"] == "csv"
    assert PHI not in client.get("/api/audit").text


def test_the_actor_is_the_token_name(tmp_path):
    token = "crt_audit-token-0123456789abcdefghijkl"
    settings = Settings(
        database_url=str(tmp_path / "a.duckdb"),
        upload_dir=tmp_path / "u",
        api_tokens=f"billing-bot:{token_hash(token)}",
    )
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        assert upload(client, SEED_CLAIMS, SEED_INVOICES).status_code == 201
        assert _events(client)[0]["actor"] == "billing-bot"


def test_retention_expires_old_runs_and_audits_it(settings, client):
    assert upload(client, SEED_CLAIMS, SEED_INVOICES).status_code == 201
    store = client.app.state.store
    assert expire_runs(store, 30) == []  # a new run is kept
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    assert expire_runs(store, 30, now=later) == [1]
    assert client.get("/api/runs/1").status_code == 404
    last = _events(client)[0]
    assert (last["action"], last["actor"], last["run_id"]) == ("expire", "retention", 1)


def test_the_audit_page_shows_the_trail_without_patient_data(client):
    assert upload(client, CLAIMS, SEED_INVOICES).status_code == 201
    client.get("/api/runs/1/reconciliation", params={"patient_id": PHI})
    page = client.get("/audit")
    assert page.status_code == 200
    assert "Audit trail" in page.text
    assert page.text.count("<tr>") == 1 + 2  # header row, the upload and the view
    assert "upload" in page.text and "view" in page.text
    assert 'href="/runs/1"' in page.text
    assert PHI not in page.text
