"""The only layer that talks to a database. SQL lives here.

``rules`` holds the reconciliation rules as one portable SQL definition; each store
(DuckDB now, PostgreSQL and Spark later) executes that same definition and differs only in
how it bulk-loads validated rows.
"""

from __future__ import annotations

from claims_recon.config import Settings
from claims_recon.engine.base import Store
from claims_recon.errors import StoreUnavailable


def open_store(settings: Settings) -> Store:
    url = settings.database_url
    if url.startswith(("postgresql://", "postgres://")):
        raise StoreUnavailable(
            "the PostgreSQL store is not available in this version; "
            "use a DuckDB file path or ':memory:'"
        )
    if "://" in url:
        raise StoreUnavailable(f"unsupported database URL scheme in {url.split('://')[0]!r}")
    from claims_recon.engine.duckdb_store import DuckDBStore

    return DuckDBStore(settings)
