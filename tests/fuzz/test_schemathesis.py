"""Property-based API fuzzing against the app's own OpenAPI schema (all default checks), in
three configurations: DuckDB without authentication (clients on this machine), DuckDB with
API tokens (every request carries a valid token, and none without one is served), and
PostgreSQL.

One exception: an upload's files are ``format: binary`` in the schema (a schema cannot say
"a valid claims CSV"), so random bytes are schema-valid yet rightly rejected; the check
that schema-valid data is accepted does not apply to that one operation.
"""

from __future__ import annotations

import gc
import json
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient

from claims_recon.access import token_hash
from claims_recon.api.app import create_app
from claims_recon.config import Settings
from tests.conftest import POSTGRES_URL, SEED_CLAIMS, SEED_INVOICES

TOKEN = "crt_fuzz-" + "7" * 40
BEARER = {"Authorization": f"Bearer {TOKEN}"}

# The apps are built at import, because the operations are collected from their schemas;
# no store is opened before a test's fixture starts the app.
_folder = Path(tempfile.mkdtemp(prefix="claims-recon-fuzz-"))
app = create_app(
    Settings(database_url=str(_folder / "fuzz.duckdb"), upload_dir=_folder / "uploads")
)
guarded_app = create_app(
    Settings(
        database_url=str(_folder / "guarded.duckdb"),
        upload_dir=_folder / "guarded-uploads",
        api_tokens=f"fuzz:{token_hash(TOKEN)}",
    )
)
_pg_schema = f"fuzz_{uuid.uuid4().hex[:16]}"
postgres_app = create_app(
    Settings(
        database_url=f"{POSTGRES_URL}?options=-csearch_path%3D{_pg_schema}",
        upload_dir=_folder / "postgres-uploads",
        pool_size=4,
        connect_timeout=5,
    )
)

schema = schemathesis.openapi.from_asgi("/openapi.json", app)
# /openapi.json itself needs the token when tokens are configured.
guarded_schema = schemathesis.openapi.from_asgi("/openapi.json", guarded_app, headers=BEARER)
api_operations = guarded_schema.include(path_regex="^/api/")
# Loaded without starting the app, which would connect to PostgreSQL while collecting.
postgres_schema = schemathesis.openapi.from_dict(json.loads(json.dumps(postgres_app.openapi())))
postgres_schema.app = postgres_app
postgres_schema.location = "/openapi.json"

bounded = {
    "deadline": None,
    "suppress_health_check": list(HealthCheck),
    "derandomize": True,
}


def _serve_seeded(served: FastAPI, headers: dict[str, str]) -> Iterator[None]:
    """The store opened by the app's lifespan, holding one run (so run 1 exists)."""
    with TestClient(served) as client:
        response = client.post(
            "/api/upload",
            files={
                "claims": ("claims.csv", SEED_CLAIMS.encode(), "text/csv"),
                "invoices": ("invoices.csv", SEED_INVOICES.encode(), "text/csv"),
            },
            headers=headers,
        )
        assert response.status_code == 201, response.text
        yield
    # The module-level app outlives the tests; drop its (closed) store so no DuckDB
    # object is left for interpreter shutdown.
    del served.state.store
    gc.collect()


@pytest.fixture(scope="module")
def seeded_store() -> Iterator[None]:
    yield from _serve_seeded(app, {})


@pytest.fixture(scope="module")
def seeded_guarded_store() -> Iterator[None]:
    yield from _serve_seeded(guarded_app, BEARER)


@pytest.fixture(scope="module")
def seeded_postgres_store(postgres_url: str) -> Iterator[None]:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{_pg_schema}"')
    try:
        yield from _serve_seeded(postgres_app, {})
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{_pg_schema}" CASCADE')


def _excluded(case) -> list:
    return [positive_data_acceptance] if case.operation.path == "/api/upload" else []


@schema.parametrize()
@settings(max_examples=30, **bounded)
def test_api_conforms_to_its_schema(case, seeded_store):
    case.call_and_validate(excluded_checks=_excluded(case))


@guarded_schema.parametrize()
@settings(max_examples=20, **bounded)
def test_api_with_tokens_conforms_to_its_schema(case, seeded_guarded_store):
    case.call_and_validate(headers=BEARER, excluded_checks=_excluded(case))


@api_operations.parametrize()
@settings(max_examples=5, **bounded)
def test_without_a_token_every_api_operation_answers_401(case, seeded_guarded_store):
    response = case.call()
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == ['Bearer realm="claims-recon"']
    case.validate_response(
        response,
        checks=[
            status_code_conformance,
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
        ],
    )


@postgres_schema.parametrize()
@settings(max_examples=15, **bounded)
def test_api_on_postgresql_conforms_to_its_schema(case, seeded_postgres_store):
    case.call_and_validate(excluded_checks=_excluded(case))
