"""Property-based API fuzzing against the app's own OpenAPI schema (all default checks).

One exception: an upload's files are ``format: binary`` in the schema (a schema cannot say
"a valid claims CSV"), so random bytes are schema-valid yet rightly rejected; the check
that schema-valid data is accepted does not apply to that one operation.
"""

from __future__ import annotations

import gc
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance
from starlette.testclient import TestClient

from claims_recon.api.app import create_app
from claims_recon.config import Settings
from tests.conftest import SEED_CLAIMS, SEED_INVOICES

_folder = Path(tempfile.mkdtemp(prefix="claims-recon-fuzz-"))
app = create_app(
    Settings(database_url=str(_folder / "fuzz.duckdb"), upload_dir=_folder / "uploads")
)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(scope="module", autouse=True)
def seeded_store() -> Iterator[None]:
    """The store opened by the app's lifespan, holding one run (so run 1 exists)."""
    with TestClient(app) as client:
        response = client.post(
            "/api/upload",
            files={
                "claims": ("claims.csv", SEED_CLAIMS.encode(), "text/csv"),
                "invoices": ("invoices.csv", SEED_INVOICES.encode(), "text/csv"),
            },
        )
        assert response.status_code == 201, response.text
        yield
    # The module-level app outlives the tests; drop its (closed) store so no DuckDB
    # object is left for interpreter shutdown.
    del app.state.store
    gc.collect()


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case):
    excluded = [positive_data_acceptance] if case.operation.path == "/api/upload" else []
    case.call_and_validate(excluded_checks=excluded)
