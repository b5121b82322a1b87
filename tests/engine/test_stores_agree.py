"""The embedded and the team store answer identically, byte for byte, for the same files."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from claims_recon.api.app import create_app
from claims_recon.config import Settings
from claims_recon.engine import open_store
from claims_recon.errors import StoreUnavailable
from claims_recon.sampledata import generate

VIEWS = [
    "/api/runs/1/summary",
    "/api/runs/1/reconciliation?limit=1000",
    "/api/runs/1/reconciliation?status=UNDERPAID,OVERPAID&sort=-variance&skip=5&limit=20",
    "/api/runs/1/reconciliation?has_refunds=true&sort=invoice_total",
    "/api/runs/1/reconciliation?claim_id=0001&sort=-date_of_service",
    "/api/runs/1/orphans",
    "/api/runs/1/claims/C00000007",
    "/api/runs/1/reconciliation/export?format=csv&sort=-charges_amount",
    "/api/runs/1/orphans/export?format=csv",
]


def _answers(settings: Settings, files: Path) -> dict[str, bytes]:
    with TestClient(create_app(settings)) as client:
        with (files / "claims.csv").open("rb") as c, (files / "invoices.csv").open("rb") as i:
            response = client.post(
                "/api/upload",
                files={"claims": ("claims.csv", c), "invoices": ("invoices.csv", i)},
                data={"tolerance_amount": "1.50"},
            )
        assert response.status_code == 201, response.text
        return {view: client.get(view).content for view in VIEWS}


def test_duckdb_and_postgresql_agree(tmp_path, postgres_schema_url):
    generate(tmp_path / "files", claims=400, orphans=7, seed=11)
    duck = Settings(database_url=str(tmp_path / "d.duckdb"), upload_dir=tmp_path / "u1")
    pg = Settings(database_url=postgres_schema_url, upload_dir=tmp_path / "u2", pool_size=2)
    from_duckdb = _answers(duck, tmp_path / "files")
    from_postgres = _answers(pg, tmp_path / "files")
    for view in VIEWS:
        assert from_duckdb[view] == from_postgres[view], view
    assert b'"orphan_invoices":7' in from_duckdb["/api/runs/1/summary"]


def test_unreachable_postgresql_is_a_clear_startup_error():
    settings = Settings(
        database_url="postgresql://someone:secret@127.0.0.1:1/nowhere", connect_timeout=1
    )
    with pytest.raises(StoreUnavailable, match="cannot connect to PostgreSQL") as caught:
        open_store(settings)
    assert "secret" not in caught.value.message
    assert "127.0.0.1:1/nowhere" in caught.value.message


def test_a_newer_schema_refuses_to_open(settings):
    store = open_store(settings)
    try:
        with store._session() as session:  # the test reaches in to fake a future version
            session.execute("INSERT INTO schema_version VALUES (99)")
    finally:
        store.close()
    with pytest.raises(StoreUnavailable, match="schema version 99"):
        open_store(settings)
