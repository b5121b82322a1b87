"""PostgreSQL orders text keys byte by byte, as DuckDB does, even in a database whose
default collation is a language's (here ICU en-US, which ignores case and punctuation)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from fastapi.testclient import TestClient

from claims_recon.api.app import create_app
from claims_recon.config import Settings
from tests.conftest import csv_text, upload
from tests.engine.helpers import as_written_by_version

# In byte order: upper case, then '_', then lower case; '-' before digits. en-US puts
# them in quite another order ("_x a-2 a1 A1 b_0 B0 Z9").
IDS = ["a-2", "A1", "a1", "B0", "b_0", "_x", "Z9"]
CLAIMS = csv_text(
    "claim_id,patient_id,date_of_service,charges_amount\n"
    + "\n".join(f"{claim},p{claim},2024-01-0{n + 1},{n + 1}0.00" for n, claim in enumerate(IDS))
)
INVOICES = csv_text(
    "invoice_id,claim_id,transaction_value\n"
    + "\n".join(f"i{claim},{claim},{n + 1}0.00" for n, claim in enumerate(IDS[:4]))
    + "\ni-orphan,zz,1.00\niA-orphan,ZZ,1.00"
)
VIEWS = [
    "/api/runs/1/reconciliation",
    "/api/runs/1/reconciliation?sort=-claim_id",
    "/api/runs/1/reconciliation?sort=patient_id",
    "/api/runs/1/reconciliation?skip=2&limit=3",
    "/api/runs/1/reconciliation?status=NO_INVOICES&skip=1&limit=2",
    "/api/runs/1/orphans",
    "/api/runs/1/reconciliation/export?format=csv",
]


@pytest.fixture
def en_us_url(postgres_url: str) -> Iterator[str]:
    """A fresh database whose default collation is ICU en-US; dropped afterwards."""
    name = f"claims_recon_en_us_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(
            f"CREATE DATABASE {name} LOCALE_PROVIDER icu ICU_LOCALE 'en-US' "
            "LOCALE 'C.UTF-8' TEMPLATE template0"
        )
    try:
        yield urlunsplit(urlsplit(postgres_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _settings(url: str, tmp_path, name: str) -> Settings:
    return Settings(database_url=url, upload_dir=tmp_path / name, pool_size=2)


def _views(settings: Settings) -> dict[str, bytes]:
    with TestClient(create_app(settings)) as client:
        return {view: client.get(view).content for view in VIEWS}


def _uploaded(settings: Settings) -> dict[str, bytes]:
    with TestClient(create_app(settings)) as client:
        assert upload(client, CLAIMS, INVOICES).status_code == 201
    return _views(settings)


def test_the_database_really_orders_text_another_way(en_us_url):
    with psycopg.connect(en_us_url) as conn:
        found = conn.execute("SELECT array_agg(x ORDER BY x) FROM unnest(%s::text[]) AS x", [IDS])
        assert found.fetchone()[0] != sorted(IDS)


def test_postgresql_in_an_en_us_database_answers_like_duckdb(tmp_path, en_us_url):
    from_duckdb = _uploaded(_settings(str(tmp_path / "d.duckdb"), tmp_path, "u1"))
    from_postgres = _uploaded(_settings(en_us_url, tmp_path, "u2"))
    for view in VIEWS:
        assert from_postgres[view] == from_duckdb[view], view

    with TestClient(create_app(_settings(en_us_url, tmp_path, "u3"))) as client:
        page = client.get("/api/runs/1/reconciliation").json()
        assert [row["claim_id"] for row in page["data"]] == sorted(IDS)
        assert [row["claim_id"] for row in page["data"]] == [
            "A1", "B0", "Z9", "_x", "a-2", "a1", "b_0"
        ]  # fmt: skip
        orphans = client.get("/api/runs/1/orphans").json()["data"]
        assert [o["claim_id"] for o in orphans] == ["ZZ", "zz"]


def test_runs_numbered_in_the_database_collation_are_renumbered_on_upgrade(tmp_path, en_us_url):
    settings = _settings(en_us_url, tmp_path, "u1")
    with TestClient(create_app(settings)) as client:
        assert upload(client, CLAIMS, INVOICES).status_code == 201
        as_written_by_version(client.app.state.store, 3)
        # As release 3 left it: pages in the database's order.
        first = client.get("/api/runs/1/reconciliation?limit=3").json()["data"]
        assert [row["claim_id"] for row in first] == ["_x", "a-2", "a1"]

    upgraded = _views(settings)
    from_duckdb = _uploaded(_settings(str(tmp_path / "d.duckdb"), tmp_path, "u2"))
    for view in VIEWS:
        assert upgraded[view] == from_duckdb[view], view
