"""The only layer that talks to a database. SQL lives here.

``rules`` holds the reconciliation rules as one portable SQL definition; each store
(DuckDB, PostgreSQL; Spark later) executes that same definition through ``SqlStore`` and
differs only in how it bulk-loads validated rows and streams exports.
"""

from __future__ import annotations

from claims_recon.config import Settings
from claims_recon.engine.base import Store
from claims_recon.errors import StoreUnavailable


def open_store(settings: Settings) -> Store:
    url = settings.database_url
    if settings.is_postgres:
        from claims_recon.engine.postgres_store import PostgresStore

        return PostgresStore(settings)
    if "://" in url:
        raise StoreUnavailable(f"unsupported database URL scheme in {url.split('://')[0]!r}")
    from claims_recon.engine.duckdb_store import DuckDBStore

    return DuckDBStore(settings)
