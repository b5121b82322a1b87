"""Build received files from Python rows, for store-level tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from claims_recon.engine import schema
from claims_recon.ingest.columns import FileKind
from claims_recon.ingest.receiver import ReceivedFile, receive_stream

CLAIMS_HEADER = ("claim_id", "patient_id", "date_of_service", "charges_amount")
INVOICES_HEADER = ("invoice_id", "claim_id", "transaction_value")


def received(
    kind: FileKind, header: Sequence[str], rows: Sequence[Sequence[object]], spool: Path
) -> ReceivedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return receive_stream(
        kind,
        f"{kind.value}.csv",
        io.BytesIO(buffer.getvalue().encode()),
        limit=1 << 30,
        spool_dir=spool,
    )


def as_written_by_version(store, version: int) -> None:
    """Turn a current database into one as release ``version`` wrote it, data included, by
    undoing exactly what the later migrations added (their tables, columns and layout)."""
    from claims_recon.engine.postgres_store import EXTRA_MIGRATIONS, PostgresStore

    postgres = isinstance(store, PostgresStore)
    with store._session() as session, session.transaction():
        for later in range(schema.SCHEMA_VERSION, version, -1):
            if later == 5:
                if not postgres:  # version 5 stored invoice_id uncompressed: rebuild as v4 did
                    from claims_recon.engine.duckdb_store import EXTRA_MIGRATIONS as DUCKDB

                    for statement in DUCKDB[4][:4]:
                        session.execute(statement)
            elif later == 4:
                if postgres:  # version 4 gave text keys byte order
                    _collate_as_the_database(session)
                else:  # and stored claim_id uncompressed (a table-level choice in DuckDB)
                    for table, order in (
                        ("invoices", "dataset_id, claim_id"),
                        ("results", "run_id, seq"),
                    ):
                        session.execute(
                            f"CREATE TABLE {table}_v3 AS SELECT * FROM {table} ORDER BY {order}"
                        )
                        session.execute(f"DROP TABLE {table}")
                        session.execute(f"ALTER TABLE {table}_v3 RENAME TO {table}")
            elif later == 3:
                if postgres:  # version 3 partitioned the big tables
                    for table in ("results", "orphans", "invoices"):
                        session.execute(
                            f"CREATE TABLE {table}_plain "
                            f"(LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
                        )
                        session.execute(f"INSERT INTO {table}_plain SELECT * FROM {table}")
                        session.execute(f"DROP TABLE {table}")
                        session.execute(f"ALTER TABLE {table}_plain RENAME TO {table}")
                session.execute("ALTER TABLE results DROP COLUMN seq")
                if postgres:
                    for statement in EXTRA_MIGRATIONS[1]:
                        session.execute(statement)
            elif later == 2:
                session.execute("DROP TABLE audit_events")
                session.execute("DROP SEQUENCE audit_ids")
            else:
                raise AssertionError(f"no way back from version {later}")
        session.execute("DELETE FROM schema_version WHERE version > $v", {"v": version})


def _collate_as_the_database(session) -> None:
    """Text keys back in the database's default collation, and each run numbered in that
    order, as release 3 wrote them."""
    from claims_recon.engine.postgres_store import _BYTE_ORDER_COLUMNS, RENUMBER_RESULTS

    for table, columns in _BYTE_ORDER_COLUMNS.items():
        for column in columns:
            session.execute(
                f'ALTER TABLE {table} ALTER COLUMN {column} TYPE VARCHAR COLLATE "default"'
            )
    session.execute(RENUMBER_RESULTS)
