"""SECURITY.md's recipe: on PostgreSQL, an app role that may only read and append audit
events still runs everything (uploads, reads, deletes), and cannot change the trail."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import pytest
from fastapi.testclient import TestClient

from claims_recon.api.app import create_app
from claims_recon.config import Settings
from tests.conftest import SEED_CLAIMS, SEED_INVOICES, upload


@pytest.fixture
def app_role(postgres_url: str) -> Iterator[tuple[str, str, str, str]]:
    """A login role owning a fresh schema (as the app's own role would), and its URL."""
    suffix = uuid.uuid4().hex[:12]
    role, owner, schema = f"claims_app_{suffix}", f"audit_owner_{suffix}", f"audit_{suffix}"
    password = uuid.uuid4().hex
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
        admin.execute(f'CREATE ROLE "{owner}" NOLOGIN')
        admin.execute(f'CREATE SCHEMA "{schema}" AUTHORIZATION "{role}"')
    parts = urlsplit(postgres_url)
    server = f"{parts.hostname}:{parts.port or 5432}"
    url = f"{parts.scheme}://{role}:{password}@{server}{parts.path}"
    try:
        yield f"{url}?options=-csearch_path%3D{schema}", role, owner, schema
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')
            admin.execute(f'DROP ROLE IF EXISTS "{owner}"')


def _settings(url: str, tmp_path) -> Settings:
    return Settings(database_url=url, upload_dir=tmp_path / "uploads", pool_size=2)


def test_an_app_role_without_update_or_delete_keeps_the_trail_append_only(
    app_role, postgres_url, tmp_path
):
    url, role, owner, schema = app_role
    with TestClient(create_app(_settings(url, tmp_path))) as client:  # creates the tables
        assert upload(client, SEED_CLAIMS, SEED_INVOICES).status_code == 201

    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'ALTER TABLE "{schema}".audit_events OWNER TO "{owner}"')
        admin.execute(f'REVOKE ALL ON "{schema}".audit_events FROM "{role}"')
        admin.execute(f'GRANT SELECT, INSERT ON "{schema}".audit_events TO "{role}"')

    with TestClient(create_app(_settings(url, tmp_path))) as client:
        second = upload(client, SEED_CLAIMS, SEED_INVOICES)
        assert second.status_code == 201, second.text
        assert client.get("/api/runs/2/summary").json()["underpaid"] == 1
        assert client.delete("/api/runs/1").status_code == 204
        events = client.get("/api/audit").json()["data"]
    assert [(e["action"], e["run_id"]) for e in reversed(events)] == [
        ("upload", 1),
        ("upload", 2),
        ("view", 2),
        ("delete", 1),
    ]

    with psycopg.connect(url, autocommit=True) as app:
        for statement in (
            "UPDATE audit_events SET actor = 'someone else'",
            "DELETE FROM audit_events",
            "TRUNCATE audit_events",
            "ALTER TABLE audit_events DISABLE TRIGGER ALL",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(statement)
        # Nor can the role give itself the right back.
        app.execute(f'GRANT UPDATE, DELETE ON audit_events TO "{role}"')
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("DELETE FROM audit_events")
        assert app.execute("SELECT count(*) FROM audit_events").fetchone()[0] == 4
