"""The embedded store: one DuckDB file (or ``:memory:``) per process."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import duckdb

from claims_recon.config import Settings
from claims_recon.engine.base import EXPORT_BATCH_ROWS, BatchStream, Event
from claims_recon.engine.csv_stage import CheckOutcome, check_csv, strict_relation
from claims_recon.engine.run_cache import RunCache
from claims_recon.engine.session import Result
from claims_recon.engine.sql_store import SqlStore
from claims_recon.errors import StoreUnavailable
from claims_recon.ingest.columns import CLAIMS, INVOICES, FileSpec, HeaderLayout
from claims_recon.ingest.receiver import ReceivedFile


class DuckDBSession:
    """A DuckDB cursor: its own connection to the shared database, for one thread."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self.cursor = cursor

    def execute(self, sql: str, params: Mapping[str, object] | None = None) -> Result:
        return self.cursor.execute(sql, dict(params) if params else None)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.cursor.begin()
        try:
            yield
        except BaseException:
            self.cursor.rollback()
            raise
        self.cursor.commit()


# DuckDB-only additions to the shared schema.
EXTRA_MIGRATIONS: dict[int, tuple[str, ...]] = {
    # Version 4: claim_id is stored uncompressed in results and invoices. A claim's page
    # finds its rows by claim_id, and block statistics narrow that to one row group; there
    # each value is compared, which costs half as much on plain strings as on compressed
    # ones (measured: about 1 ms instead of 2 per lookup at a million claims), for about
    # 20 MB more per million invoices. Earlier runs are rebuilt in the order they had.
    4: (
        """
        CREATE TABLE invoices_v4 (
            dataset_id BIGINT NOT NULL,
            invoice_id VARCHAR NOT NULL,
            claim_id VARCHAR NOT NULL USING COMPRESSION uncompressed,
            transaction_value DECIMAL(18, 2) NOT NULL
        )
        """,
        "INSERT INTO invoices_v4 SELECT * FROM invoices ORDER BY dataset_id, claim_id, invoice_id",
        "DROP TABLE invoices",
        "ALTER TABLE invoices_v4 RENAME TO invoices",
        """
        CREATE TABLE results_v4 (
            run_id BIGINT NOT NULL,
            claim_id VARCHAR NOT NULL USING COMPRESSION uncompressed,
            patient_id VARCHAR NOT NULL,
            date_of_service DATE NOT NULL,
            charges_amount DECIMAL(18, 2) NOT NULL,
            invoice_count INTEGER NOT NULL,
            invoice_total DECIMAL(18, 2),
            variance DECIMAL(18, 2),
            status VARCHAR NOT NULL,
            has_refunds BOOLEAN NOT NULL,
            seq INTEGER NOT NULL
        )
        """,
        "INSERT INTO results_v4 SELECT * FROM results ORDER BY run_id, seq",
        "DROP TABLE results",
        "ALTER TABLE results_v4 RENAME TO results",
    ),
    # Version 5: invoice_id is stored uncompressed too. Invoice numbers are unique, so
    # neither dictionary nor FSST compression finds anything to gain, yet trying costs an
    # upload about a tenth of its time (measured at a million claims: 0.3 s of 2.8, for
    # about 23 MB more per million invoices).
    5: (
        """
        CREATE TABLE invoices_v5 (
            dataset_id BIGINT NOT NULL,
            invoice_id VARCHAR NOT NULL USING COMPRESSION uncompressed,
            claim_id VARCHAR NOT NULL USING COMPRESSION uncompressed,
            transaction_value DECIMAL(18, 2) NOT NULL
        )
        """,
        "INSERT INTO invoices_v5 SELECT * FROM invoices ORDER BY dataset_id, claim_id, invoice_id",
        "DROP TABLE invoices",
        "ALTER TABLE invoices_v5 RENAME TO invoices",
    ),
}


class DuckDBStore(SqlStore):
    data_errors = (duckdb.Error,)
    # Runs are written in seq order (and the v3 migration rebuilt older ones in it), and
    # DuckDB keeps insertion order for scans without ORDER BY (preserve_insertion_order,
    # on by default and never turned off here).
    _scans_in_seq_order = True

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        database = settings.database_url
        if not settings.is_memory:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        config: dict[str, Any] = {}
        if settings.threads:
            config["threads"] = settings.threads
        if settings.memory_limit:
            config["memory_limit"] = settings.memory_limit
        try:
            self._con = duckdb.connect(database, config=config)
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0]
            raise StoreUnavailable(
                f"cannot open the DuckDB database {database!r}: {first}"
            ) from None
        # One DuckDB file has one writer at a time; uploads and deletes take turns.
        self._lock = threading.Lock()
        # This process holds the file alone, so every deletion passes through here.
        self._runs = RunCache()
        self._migrate(EXTRA_MIGRATIONS)

    @contextmanager
    def _session(self) -> Iterator[DuckDBSession]:
        cursor = self._con.cursor()
        try:
            yield DuckDBSession(cursor)
        finally:
            cursor.close()

    def _write_guard(self) -> AbstractContextManager[object]:
        return self._lock

    def _require_run(self, cur: DuckDBSession, run_id: int) -> tuple[Any, ...]:  # type: ignore[override]
        row = self._runs.get(run_id)
        if row is None:
            generation = self._runs.generation
            row = super()._require_run(cur, run_id)
            self._runs.put(run_id, row, generation)
        return row

    def delete_run(self, run_id: int, audit: Event | None = None) -> None:
        try:
            super().delete_run(run_id, audit)
        finally:
            self._runs.forget(run_id)

    def _check(self, received: ReceivedFile, spec: FileSpec, max_problems: int) -> CheckOutcome:
        with self._session() as session:
            return check_csv(session.cursor, received, spec, max_problems=max_problems)

    def _load_invoices(
        self, session: DuckDBSession, received: ReceivedFile, layout: HeaderLayout, dataset_id: int
    ) -> None:
        relation = strict_relation(received, INVOICES, layout)
        # Stored in claim order: a claim's invoices sit together (the claim page reads one
        # block), they compress better, and the write needs no later recompression.
        session.execute(
            f"INSERT INTO invoices SELECT $dataset_id, * FROM {relation} "
            "ORDER BY claim_id, invoice_id",
            {"dataset_id": dataset_id},
        )

    def _claims_relation(
        self, session: DuckDBSession, received: ReceivedFile, layout: HeaderLayout
    ) -> str:
        return strict_relation(received, CLAIMS, layout)

    def _stream(self, sql: str, params: dict[str, object]) -> BatchStream:
        cursor = self._con.cursor()
        try:
            reader = cursor.sql(sql, params=params).to_arrow_reader(EXPORT_BATCH_ROWS)
        except BaseException:
            cursor.close()
            raise

        def batches() -> Iterator[Any]:
            try:
                yield from reader
            finally:
                cursor.close()

        return BatchStream(reader.schema, batches())

    def close(self) -> None:
        self._con.close()
