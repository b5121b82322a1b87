"""PostgreSQL keeps each run (and each invoices file) in partitions of its own."""

from __future__ import annotations

import psycopg
import pytest
from fastapi.testclient import TestClient

from claims_recon.api.app import create_app
from claims_recon.config import Settings
from claims_recon.sampledata import generate
from tests.engine.helpers import as_written_by_version

VIEWS = [
    "/api/runs",
    "/api/runs/{run}/summary",
    "/api/runs/{run}/reconciliation?limit=1000",
    "/api/runs/{run}/reconciliation?status=UNDERPAID,OVERPAID&sort=-variance&limit=20",
    "/api/runs/{run}/orphans",
    "/api/runs/{run}/claims/C00000007",
    "/api/runs/{run}/reconciliation/export?format=csv",
]


def _post(client: TestClient, files, names=("claims", "invoices")):
    sent = {name: (f"{name}.csv", (files / f"{name}.csv").read_bytes()) for name in names}
    return client.post("/api/upload", files=sent)


def _views(client: TestClient, runs) -> dict[str, bytes]:
    return {
        view.format(run=run): client.get(view.format(run=run)).content
        for run in runs
        for view in VIEWS
    }


def _tables(url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
            "AND c.relkind IN ('r', 'p')"
        ).fetchall()
    return dict(rows)


@pytest.fixture
def pg_settings(postgres_schema_url, tmp_path) -> Settings:
    return Settings(database_url=postgres_schema_url, upload_dir=tmp_path / "u", pool_size=2)


def test_a_version_2_database_is_partitioned_in_place_and_keeps_its_runs(pg_settings, tmp_path):
    generate(tmp_path / "a", claims=300, orphans=4, seed=5)
    generate(tmp_path / "b", claims=200, orphans=2, seed=6)
    with TestClient(create_app(pg_settings)) as old:
        assert _post(old, tmp_path / "a").status_code == 201
        assert _post(old, tmp_path / "b", names=("claims",)).status_code == 201
        before = _views(old, (1, 2))
        as_written_by_version(old.app.state.store, 2)
    assert _tables(pg_settings.database_url)["results"] == "r"

    with TestClient(create_app(pg_settings)) as new:
        assert _views(new, (1, 2)) == before
        tables = _tables(pg_settings.database_url)
        assert {tables[t] for t in ("results", "orphans", "invoices")} == {"p"}
        assert {"results_r1", "results_r2", "orphans_r1", "invoices_d1"} <= set(tables)
        assert not any(name.endswith("_unpartitioned") for name in tables)
        # New runs go to new partitions; an invoices-only run reuses run 2's claims.
        assert _post(new, tmp_path / "a", names=("invoices",)).status_code == 201
        assert new.get("/api/runs/3/summary").json()["total_claims"] == 200
        assert new.delete("/api/runs/1").status_code in (200, 204)
        assert new.get("/api/runs/1").status_code == 404
        tables = _tables(pg_settings.database_url)
        assert "results_r1" not in tables and "results_r3" in tables
        assert "invoices_d1" in tables  # run 2 still uses the first invoices file
        after = _views(new, (2,))
        assert {k: v for k, v in after.items() if "/2/" in k} == {
            k: v for k, v in before.items() if "/2/" in k
        }
        assert new.delete("/api/runs/2").status_code in (200, 204)
        assert "invoices_d1" not in _tables(pg_settings.database_url)


def test_a_duplicate_key_rejects_the_upload_and_leaves_no_partition(pg_settings, tmp_path):
    generate(tmp_path / "a", claims=50, seed=3)
    claims = (tmp_path / "a" / "claims.csv").read_text()
    first_row = claims.splitlines()[1]
    (tmp_path / "a" / "claims.csv").write_text(claims + first_row + "\n")
    with TestClient(create_app(pg_settings)) as client:
        response = _post(client, tmp_path / "a")
        assert response.status_code == 422, response.text
        assert "duplicate" in response.text.lower()
        assert client.get("/api/runs").json()["count"] == 0
    assert not any(name[-1].isdigit() for name in _tables(pg_settings.database_url))
