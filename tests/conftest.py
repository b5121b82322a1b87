"""Shared fixtures: an isolated store per test, an in-process HTTP client, inline CSVs."""

from __future__ import annotations

import textwrap
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


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=str(tmp_path / "store" / "claims_recon.duckdb"),
        upload_dir=tmp_path / "uploads",
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
