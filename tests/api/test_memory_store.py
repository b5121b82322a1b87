"""``CLAIMS_RECON_DATABASE_URL=:memory:``, the seed's in-memory mode: a full service that
keeps nothing once the process ends."""

from __future__ import annotations

from fastapi.testclient import TestClient

from claims_recon.api.app import create_app
from claims_recon.config import Settings
from tests.conftest import SEED_CLAIMS, SEED_INVOICES, upload


def test_memory_store_serves_runs_and_keeps_nothing_after_exit(tmp_path):
    settings = Settings(database_url=":memory:", upload_dir=tmp_path / "spool")
    with TestClient(create_app(settings)) as client:
        assert upload(client, SEED_CLAIMS, SEED_INVOICES).status_code == 201
        summary = client.get("/api/summary").json()
        assert (summary["balanced"], summary["underpaid"], summary["total_charges"]) == (
            1,
            1,
            300.00,
        )
        page = client.get("/api/reconciliation", params={"status": "UNDERPAID"}).json()
        assert [row["claim_id"] for row in page["data"]] == ["c2"]
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/runs").json() == {"data": [], "count": 0}
        assert client.get("/api/summary").json()["run_id"] is None
