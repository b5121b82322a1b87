"""Shared fixtures: an isolated store per test, an in-process HTTP client, inline CSVs."""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from claims_recon.api.app import create_app
from claims_recon.config import Settings

# The example from the original project's README.
SEED_CLAIMS = """\
claim_id,patient_id,date_of_service,charges_amount
c1,p1,2023-01-01,100.00
c2,p2,2023-01-02,200.00
"""
SEED_INVOICES = """\
invoice_id,claim_id,transaction_value
i1,c1,50.00
i2,c1,50.00
i3,c2,150.00
"""


def csv_text(text: str) -> str:
    """Inline CSV written indented in a test, dedented."""
    return textwrap.dedent(text).lstrip("\n")


POSTGRES_URL = os.environ.get(
    "CLAIMS_RECON_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test"
)
STORES = ["duckdb", "postgresql"]


def _postgres_problem() -> str | None:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # any reason at all means: not usable here
        return f"PostgreSQL is not reachable at {POSTGRES_URL}: {type(exc).__name__}"
    return None


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test server; a missing one skips visibly on a laptop and fails in CI."""
    problem = _postgres_problem()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(problem + " (CI=true: the PostgreSQL tests must run)")
        pytest.skip(problem)
    return POSTGRES_URL


@pytest.fixture
def postgres_schema_url(request: pytest.FixtureRequest, postgres_url: str) -> Iterator[str]:
    """A URL whose connections work in a fresh schema, dropped afterwards."""
    import psycopg

    schema = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{postgres_url}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=STORES)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Every test using it runs once per store: the embedded DuckDB file and PostgreSQL."""
    if request.param == "duckdb":
        url = str(tmp_path / "store" / "claims_recon.duckdb")
    else:
        url = request.getfixturevalue("postgres_schema_url")
    return Settings(
        database_url=url, upload_dir=tmp_path / "uploads", pool_size=4, connect_timeout=5
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def upload(
    client: TestClient,
    claims: str | bytes | None = None,
    invoices: str | bytes | None = None,
    *,
    claims_name: str = "claims.csv",
    invoices_name: str = "invoices.csv",
    **fields: Any,
) -> Any:
    """POST /api/upload/ the way a browser or curl does (multipart)."""
    files = {}
    if claims is not None:
        body = claims.encode() if isinstance(claims, str) else claims
        files["claims"] = (claims_name, body, "text/csv")
    if invoices is not None:
        body = invoices.encode() if isinstance(invoices, str) else invoices
        files["invoices"] = (invoices_name, body, "text/csv")
    data = {k: str(v) for k, v in fields.items()}
    return client.post("/api/upload/", files=files or None, data=data or None)


@pytest.fixture
def seeded(client: TestClient) -> dict[str, Any]:
    """A store holding one run of the seed example; returns the upload response body."""
    response = upload(client, SEED_CLAIMS, SEED_INVOICES)
    assert response.status_code == 201, response.text
    return response.json()
