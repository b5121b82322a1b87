"""A database written by an earlier release is upgraded in place and keeps its runs.

An earlier release's database is made by writing runs with this release and then removing
exactly what the later migrations added (their tables and columns, and their rows in
``schema_version``), which leaves the tables and data as the earlier release wrote them.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from claims_recon.api.app import create_app
from claims_recon.config import Settings
from claims_recon.domain.query import Page, ResultQuery, Sort
from claims_recon.engine import open_store, schema
from tests.conftest import csv_text, upload
from tests.engine.helpers import as_written_by_version

# Claims deliberately out of claim_id order, so the upgrade must number them itself.
CLAIMS = csv_text(
    """
    claim_id,patient_id,date_of_service,charges_amount
    c3,p1,2023-01-03,30.00
    c1,p1,2023-01-01,10.00
    c2,p2,2023-01-02,20.00
    """
)
INVOICES = csv_text(
    """
    invoice_id,claim_id,transaction_value
    i1,c1,10.00
    i2,c2,17.00
    i3,c9,1.00
    """
)


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_an_earlier_database_is_upgraded_in_place_and_keeps_its_runs(settings, version):
    with TestClient(create_app(settings)) as client:
        assert upload(client, CLAIMS, INVOICES).status_code == 201
        assert upload(client, CLAIMS, INVOICES, tolerance_amount="5.00").status_code == 201
        before = [client.get(f"/api/runs/{run}/reconciliation").json() for run in (1, 2)]
        as_written_by_version(client.app.state.store, version)

    store = open_store(settings)
    try:
        with store._session() as session:
            found = session.execute("SELECT max(version) FROM schema_version").fetchone()[0]
        assert found == schema.SCHEMA_VERSION
        assert [r.claim_id for r in store.results(1, ResultQuery()).data] == ["c1", "c2", "c3"]
        newest_first = ResultQuery(sort=Sort("claim_id", descending=True), page=Page(1, 1))
        assert [r.claim_id for r in store.results(2, newest_first).data] == ["c2"]
        assert store.summary(2).balanced == 2  # c1 exact, c2 (-3.00) within the 5.00 tolerance
        assert store.orphans(1, Page()).total == 1
        store.record_event("local", "view", run_id=1)
        assert store.audit(Page()).total >= 1
        if not settings.is_postgres:
            assert _string_compression(store) == UNCOMPRESSED_KEYS
    finally:
        store.close()

    with TestClient(create_app(settings)) as client:
        after = [client.get(f"/api/runs/{run}/reconciliation").json() for run in (1, 2)]
        assert after == before
        assert upload(client, CLAIMS, INVOICES).status_code == 201


# The DuckDB string columns a claim's page and an upload read or write row by row.
UNCOMPRESSED_KEYS = {
    ("invoices", "claim_id"): {"Uncompressed"},
    ("invoices", "invoice_id"): {"Uncompressed"},
    ("results", "claim_id"): {"Uncompressed"},
}


def _string_compression(store) -> dict[tuple[str, str], set[str]]:
    """How DuckDB stored the key columns once checkpointed (compression is chosen then)."""
    found: dict[tuple[str, str], set[str]] = {}
    with store._session() as session:
        session.execute("CHECKPOINT")
        for table, column in UNCOMPRESSED_KEYS:
            rows = session.execute(
                f"SELECT DISTINCT compression FROM pragma_storage_info('{table}') "
                "WHERE column_name = $column AND segment_type = 'VARCHAR'",
                {"column": column},
            ).fetchall()
            found[(table, column)] = {row[0] for row in rows}
    return found


def test_a_new_duckdb_store_keeps_the_keys_uncompressed(tmp_path):
    settings = Settings(database_url=str(tmp_path / "new.duckdb"))
    with TestClient(create_app(settings)) as client:
        assert upload(client, CLAIMS, INVOICES).status_code == 201
        assert _string_compression(client.app.state.store) == UNCOMPRESSED_KEYS
        # patient_id is the control: left to DuckDB, it is compressed.
        with client.app.state.store._session() as session:
            patient = session.execute(
                "SELECT DISTINCT compression FROM pragma_storage_info('results') "
                "WHERE column_name = 'patient_id' AND segment_type = 'VARCHAR'"
            ).fetchall()
        assert patient and "Uncompressed" not in {row[0] for row in patient}
