"""The team store: PostgreSQL, safe for several API processes and replicas at once.

The rules and queries are the shared SQL of ``SqlStore``. What differs is the bulk path:
files are parsed and checked by an in-process DuckDB exactly as for the embedded store,
and its typed rows go to PostgreSQL through ``COPY`` as CSV written by Arrow; exports come
back through ``COPY … TO STDOUT`` and are parsed by Arrow. No Python loop touches a row.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg_pool import ConnectionPool, PoolTimeout

from claims_recon.config import Settings
from claims_recon.engine.base import EXPORT_BATCH_ROWS, BatchStream
from claims_recon.engine.csv_stage import CheckOutcome, check_csv, strict_relation
from claims_recon.engine.session import Result
from claims_recon.engine.sql_store import SqlStore
from claims_recon.errors import StoreUnavailable
from claims_recon.ingest.columns import CLAIMS, INVOICES, FileSpec, HeaderLayout
from claims_recon.ingest.receiver import ReceivedFile

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COPY_CHUNK_BYTES = 8 * 1024 * 1024
_MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(7246510)"

# PostgreSQL-only additions to the shared schema: B-tree indexes for paging and lookups.
EXTRA_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "CREATE INDEX IF NOT EXISTS results_run_claim ON results (run_id, claim_id)",
        "CREATE INDEX IF NOT EXISTS results_run_status ON results (run_id, status, claim_id)",
        "CREATE INDEX IF NOT EXISTS results_run_variance ON results (run_id, variance)",
        "CREATE INDEX IF NOT EXISTS results_run_patient ON results (run_id, patient_id)",
        "CREATE INDEX IF NOT EXISTS invoices_dataset_claim ON invoices (dataset_id, claim_id)",
        "CREATE INDEX IF NOT EXISTS orphans_run ON orphans (run_id, claim_id, invoice_id)",
    ),
    # Version 3 rebuilt the results table; its indexes, and one for pages by seq.
    3: (
        "CREATE INDEX IF NOT EXISTS results_run_seq ON results (run_id, seq)",
        "CREATE INDEX IF NOT EXISTS results_run_claim ON results (run_id, claim_id)",
        "CREATE INDEX IF NOT EXISTS results_run_status ON results (run_id, status, claim_id)",
        "CREATE INDEX IF NOT EXISTS results_run_variance ON results (run_id, variance)",
        "CREATE INDEX IF NOT EXISTS results_run_patient ON results (run_id, patient_id)",
    ),
}

_ARROW_TYPES = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    25: pa.string(),
    1043: pa.string(),
    1082: pa.date32(),
}


def to_pyformat(sql: str) -> str:
    """``$name`` placeholders to psycopg's ``%(name)s`` (a literal % doubled)."""
    return _PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


class PostgresSession:
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Mapping[str, object] | None = None) -> Result:
        if not params:
            return self.conn.execute(sql)
        return self.conn.execute(to_pyformat(sql), dict(params))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.conn.transaction():
            yield


class PostgresStore(SqlStore):
    data_errors = (duckdb.Error, psycopg.DataError, psycopg.IntegrityError)

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._url = settings.database_url
        self._pool = ConnectionPool(
            self._url,
            min_size=1,
            max_size=settings.pool_size,
            kwargs={"autocommit": True},
            timeout=settings.connect_timeout,
            open=False,
            name="claims-recon",
        )
        try:
            self._pool.open(wait=True, timeout=settings.connect_timeout)
        except PoolTimeout:
            self._pool.close()
            raise StoreUnavailable(
                f"cannot connect to PostgreSQL at {redacted(self._url)} within "
                f"{settings.connect_timeout:g} s; is it running and reachable?"
            ) from None
        self._migrate(EXTRA_MIGRATIONS, lock_sql=_MIGRATION_LOCK)

    @contextmanager
    def _session(self) -> Iterator[PostgresSession]:
        with self._pool.connection() as conn:
            yield PostgresSession(conn)

    def _check(self, received: ReceivedFile, spec: FileSpec, max_problems: int) -> CheckOutcome:
        with duckdb.connect() as scratch:
            return check_csv(scratch, received, spec, max_problems=max_problems)

    def _copy_in(
        self, session: PostgresSession, target: str, relation: str, prefix: str = ""
    ) -> None:
        """Stream DuckDB's typed rows of ``relation`` into ``target`` with COPY."""
        with duckdb.connect() as scratch:
            reader = scratch.sql(f"SELECT {prefix}* FROM {relation}").to_arrow_reader(
                EXPORT_BATCH_ROWS
            )
            with session.conn.cursor().copy(f"COPY {target} FROM STDIN (FORMAT csv)") as copy:
                for batch in reader:
                    buffer = io.BytesIO()
                    pacsv.write_csv(
                        batch,
                        buffer,
                        write_options=pacsv.WriteOptions(
                            include_header=False, quoting_style="needed"
                        ),
                    )
                    copy.write(buffer.getvalue())

    def _load_invoices(
        self,
        session: PostgresSession,
        received: ReceivedFile,
        layout: HeaderLayout,
        dataset_id: int,
    ) -> None:
        self._copy_in(
            session,
            "invoices (dataset_id, invoice_id, claim_id, transaction_value)",
            strict_relation(received, INVOICES, layout),
            prefix=f"CAST({int(dataset_id)} AS BIGINT) AS dataset_id, ",
        )

    def _claims_relation(
        self, session: PostgresSession, received: ReceivedFile, layout: HeaderLayout
    ) -> str:
        session.execute(
            """
            CREATE TEMP TABLE claims_upload (
                claim_id VARCHAR NOT NULL, patient_id VARCHAR NOT NULL,
                date_of_service DATE NOT NULL, charges_amount DECIMAL(18, 2) NOT NULL
            ) ON COMMIT DROP
            """
        )
        self._copy_in(session, "claims_upload", strict_relation(received, CLAIMS, layout))
        return "claims_upload"

    def _stream(self, sql: str, params: dict[str, object]) -> BatchStream:
        with self._pool.connection() as conn:
            query = psycopg.ClientCursor(conn).mogrify(to_pyformat(sql), params)
            described = conn.execute(f"SELECT * FROM ({query}) AS q LIMIT 0").description
        schema = pa.schema([(c.name, _arrow_type(c)) for c in described or ()])
        return BatchStream(schema, self._copy_out(query, schema))

    def _copy_out(self, query: str, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
        options = pacsv.ConvertOptions(
            column_types=schema,
            true_values=["t"],
            false_values=["f"],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        )
        read = pacsv.ReadOptions(column_names=schema.names)
        with (
            self._pool.connection() as conn,
            conn.cursor().copy(f"COPY ({query}) TO STDOUT (FORMAT csv)") as copy,
        ):
            pending: list[bytes] = []
            size = 0
            for data in copy:
                pending.append(bytes(data))
                size += len(data)
                if size >= _COPY_CHUNK_BYTES:
                    yield from _parse(pending, read, options)
                    pending, size = [], 0
            if pending:
                yield from _parse(pending, read, options)

    def close(self) -> None:
        self._pool.close()


def _parse(
    chunks: list[bytes], read: pacsv.ReadOptions, options: pacsv.ConvertOptions
) -> Iterator[pa.RecordBatch]:
    # COPY hands over whole rows, so a group of them is a complete CSV document.
    table = pacsv.read_csv(io.BytesIO(b"".join(chunks)), read_options=read, convert_options=options)
    yield from table.to_batches(max_chunksize=EXPORT_BATCH_ROWS)


def _arrow_type(column: Any) -> pa.DataType:
    if column.type_code == 1700:  # numeric
        return pa.decimal128(column.precision or 38, column.scale or 0)
    return _ARROW_TYPES.get(column.type_code, pa.string())
