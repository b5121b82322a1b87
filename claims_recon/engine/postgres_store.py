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
import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg.copy import QueuedLibpqWriter
from psycopg_pool import ConnectionPool, PoolTimeout

from claims_recon.config import Settings
from claims_recon.domain.status import Status
from claims_recon.engine import rules
from claims_recon.engine.base import EXPORT_BATCH_ROWS, BatchStream
from claims_recon.engine.csv_stage import CheckOutcome, check_csv, strict_relation
from claims_recon.engine.session import Result
from claims_recon.engine.sql_store import SqlStore
from claims_recon.errors import StoreUnavailable
from claims_recon.ingest.columns import CLAIMS, INVOICES, FileKind, FileSpec, HeaderLayout
from claims_recon.ingest.receiver import ReceivedFile

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COPY_CHUNK_BYTES = 8 * 1024 * 1024
_MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(7246510)"

# A partition per run (results, orphans) and per invoices file (invoices). A partition is
# loaded while it has no index and indexed once full, which is several times cheaper than
# maintaining B-trees row by row; deleting a run drops its partitions. Partitions carry
# their own indexes (the parents have none), so attaching one never builds or checks an
# index, and ``run_id`` / ``dataset_id`` need not lead them: within a partition it is fixed.
_PARTITION_KEYS = {"invoices": "dataset_id", "results": "run_id", "orphans": "run_id"}
# (name suffix, columns and predicate, unique). A unique index is built when the upload
# checks its keys: building it is the duplicate check, cheaper than counting distinct
# strings. A run's claims of one status are indexed by seq, one partial index per status:
# four small builds over presorted keys cost far less than one (status, seq).
_PARTITION_INDEXES: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "invoices": (("invoice", "(invoice_id)", True), ("claim", "(claim_id)", False)),
    "results": (
        ("claim", "(claim_id)", True),
        # Pages in the default order are ranges of seq, in a status or not.
        ("seq", "(seq)", False),
        *((status.lower(), f"(seq) WHERE status = '{status}'", False) for status in Status),
        ("variance", "(variance)", False),
        ("patient", "(patient_id)", False),
    ),
    "orphans": (("claim", "(claim_id, invoice_id)", False),),
}
# Text keys sort and compare byte by byte ("C"), as in DuckDB: the same files give the same
# order on both stores whatever the database's default collation, and sorting or indexing
# keys in "C" costs a fraction of a language collation's comparisons.
_BYTE_ORDER_COLUMNS = {
    "results": ("claim_id", "patient_id", "status"),
    "invoices": ("invoice_id", "claim_id"),
    "orphans": ("invoice_id", "claim_id"),
}
# Numbers each run's results in the current claim_id order, where they are not already.
RENUMBER_RESULTS = """
UPDATE results AS r SET seq = o.seq
FROM (
    SELECT run_id, claim_id,
           CAST(row_number() OVER (PARTITION BY run_id ORDER BY claim_id) AS INTEGER) AS seq
    FROM results
) AS o
WHERE r.run_id = o.run_id AND r.claim_id = o.claim_id AND r.seq <> o.seq
"""
# Every upload holds this lock shared for its transaction; deleting a run holds it
# exclusively, so a delete never waits for the parents' locks while an upload holds them.
_UPLOAD_LOCK = 7246511


def _partition(table: str, key: int) -> str:
    return f"{table}_{'d' if table == 'invoices' else 'r'}{int(key)}"


def _partition_indexes(table: str, partition: str, *, unique: bool) -> list[str]:
    """The unique indexes of a partition, or the others."""
    return [
        f"CREATE {'UNIQUE ' if is_unique else ''}INDEX {partition}_{suffix} "
        f"ON {partition} {columns}"
        for suffix, columns, is_unique in _PARTITION_INDEXES[table]
        if is_unique == unique
    ]


def _partitioning_migration(table: str) -> str:
    """Turn ``table`` into a LIST-partitioned table, moving each key's rows to a partition."""
    key = _PARTITION_KEYS[table]
    prefix = _partition(table, 0)[:-1]
    indexes = "\n".join(
        f"EXECUTE format('CREATE {'UNIQUE ' if unique else ''}INDEX %I ON %I "
        f"{columns.replace(chr(39), chr(39) * 2)}', "
        f"p || '_{suffix}', p);"
        for suffix, columns, unique in _PARTITION_INDEXES[table]
    )
    return f"""
DO $migrate$
DECLARE
    k BIGINT;
    p TEXT;
BEGIN
    ALTER TABLE {table} RENAME TO {table}_unpartitioned;
    CREATE TABLE {table} (LIKE {table}_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
        PARTITION BY LIST ({key});
    FOR k IN SELECT DISTINCT {key} FROM {table}_unpartitioned ORDER BY 1 LOOP
        p := '{prefix}' || k;
        EXECUTE format(
            'CREATE TABLE %I (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', p);
        EXECUTE format('INSERT INTO %I SELECT * FROM {table}_unpartitioned WHERE {key} = %s', p, k);
        {indexes}
        EXECUTE format('ALTER TABLE {table} ATTACH PARTITION %I FOR VALUES IN (%s)', p, k);
    END LOOP;
    DROP TABLE {table}_unpartitioned;
END
$migrate$
"""


# PostgreSQL-only additions to the shared schema.
EXTRA_MIGRATIONS: dict[int, tuple[str, ...]] = {
    # B-tree indexes for paging and lookups (replaced per partition by version 3).
    1: (
        "CREATE INDEX IF NOT EXISTS results_run_claim ON results (run_id, claim_id)",
        "CREATE INDEX IF NOT EXISTS results_run_status ON results (run_id, status, claim_id)",
        "CREATE INDEX IF NOT EXISTS results_run_variance ON results (run_id, variance)",
        "CREATE INDEX IF NOT EXISTS results_run_patient ON results (run_id, patient_id)",
        "CREATE INDEX IF NOT EXISTS invoices_dataset_claim ON invoices (dataset_id, claim_id)",
        "CREATE INDEX IF NOT EXISTS orphans_run ON orphans (run_id, claim_id, invoice_id)",
    ),
    # Version 3 (which also numbered the results) partitions the big tables.
    3: tuple(_partitioning_migration(table) for table in _PARTITION_KEYS),
    # Version 4: text keys in byte order, whatever the database's default collation. Runs
    # numbered in another order are renumbered, so their pages follow the new order.
    4: (
        *(
            f'ALTER TABLE {table} ALTER COLUMN {column} TYPE VARCHAR COLLATE "C"'
            for table, columns in _BYTE_ORDER_COLUMNS.items()
            for column in columns
        ),
        RENUMBER_RESULTS,
    ),
}

# Settings for the upload's transaction only: hash aggregates, hash joins, the
# duplicate checks' sorts and the index builds stay in memory.
_UPLOAD_SETTINGS = (
    "SET LOCAL work_mem = '256MB'",
    "SET LOCAL maintenance_work_mem = '512MB'",
    "SET LOCAL jit = off",
)

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
    # An array comparison is what PostgreSQL turns into lookups in the partition's seq index.
    _rows_by_seq_sql = (
        f"SELECT seq, {rules.RESULT_SELECT} FROM results "
        "WHERE run_id = $run_id AND seq = ANY(CAST($seqs AS INTEGER[])) "
        "AND seq BETWEEN $low AND $high"
    )

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
            cursor = session.conn.cursor()
            # A writer thread feeds the server while DuckDB and Arrow produce the next batch.
            writer = QueuedLibpqWriter(cursor)
            with cursor.copy(f"COPY {target} FROM STDIN (FORMAT csv)", writer=writer) as copy:
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

    def _begin_write(self, session: PostgresSession) -> None:  # type: ignore[override]
        # Shared with other uploads, exclusive for a deletion; then this transaction's settings.
        session.execute("SELECT pg_advisory_xact_lock_shared($key)", {"key": _UPLOAD_LOCK})
        for statement in _UPLOAD_SETTINGS:
            session.execute(statement)

    def _new_partition(
        self, session: PostgresSession, table: str, key: int, *, attach: bool
    ) -> str:
        partition = _partition(table, key)
        session.execute(
            f"CREATE TABLE {partition} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS, "
            f"CHECK ({_PARTITION_KEYS[table]} = {int(key)}))"
        )
        if attach:
            self._attach(session, table, key)
        return partition

    def _attach(self, session: PostgresSession, table: str, key: int) -> None:
        # Takes SHARE UPDATE EXCLUSIVE on the parent until commit: readers go on, another
        # upload's attach waits for this transaction. The CHECK spares a validating scan.
        session.execute(
            f"ALTER TABLE {table} ATTACH PARTITION {_partition(table, key)} "
            f"FOR VALUES IN ({int(key)})"
        )

    def _index(self, session: PostgresSession, table: str, key: int, *, unique: bool) -> None:
        for statement in _partition_indexes(table, _partition(table, key), unique=unique):
            session.execute(statement)

    def _load_invoices(
        self,
        session: PostgresSession,
        received: ReceivedFile,
        layout: HeaderLayout,
        dataset_id: int,
    ) -> None:
        relation = strict_relation(received, INVOICES, layout)
        # Loaded and indexed before it is attached, so in parallel with other uploads. The
        # partition's default fills dataset_id, so COPY need not carry it on every row.
        partition = self._new_partition(session, "invoices", dataset_id, attach=False)
        session.execute(
            f"ALTER TABLE {partition} ALTER COLUMN dataset_id SET DEFAULT {int(dataset_id)}"
        )
        self._copy_in(session, f"{partition} (invoice_id, claim_id, transaction_value)", relation)
        self._index(session, "invoices", dataset_id, unique=False)
        session.execute(f"ANALYZE {partition}")
        self._attach(session, "invoices", dataset_id)

    def _before_reconcile(self, session: PostgresSession, run_id: int) -> None:  # type: ignore[override]
        for table in ("results", "orphans"):
            self._new_partition(session, table, run_id, attach=True)

    def _duplicate_keys(  # type: ignore[override]
        self, session: PostgresSession, kind: FileKind, key: int
    ) -> int:
        # A repeated key makes the build fail with a unique violation: a data error.
        table = "invoices" if kind is FileKind.INVOICES else "results"
        self._index(session, table, key, unique=True)
        return 0

    def _run_written(self, session: PostgresSession, run_id: int) -> None:  # type: ignore[override]
        if not self._has_index(session, _partition("results", run_id) + "_claim"):
            # Claims from an earlier run were not checked again: index them here.
            self._index(session, "results", run_id, unique=True)
        for table in ("results", "orphans"):
            self._index(session, table, run_id, unique=False)
            # Statistics now, not when autovacuum gets round to it: without them the
            # planner guesses the new partition's size and may pick slow plans for reads.
            session.execute(f"ANALYZE {_partition(table, run_id)}")

    @staticmethod
    def _has_index(session: PostgresSession, name: str) -> bool:
        found = session.execute("SELECT to_regclass($name) IS NOT NULL", {"name": name})
        return bool(found.fetchone()[0])

    def _claims_relation(
        self, session: PostgresSession, received: ReceivedFile, layout: HeaderLayout
    ) -> str:
        session.execute(
            """
            CREATE TEMP TABLE claims_upload (
                claim_id VARCHAR COLLATE "C" NOT NULL, patient_id VARCHAR COLLATE "C" NOT NULL,
                date_of_service DATE NOT NULL, charges_amount DECIMAL(18, 2) NOT NULL
            ) ON COMMIT DROP
            """
        )
        self._copy_in(session, "claims_upload", strict_relation(received, CLAIMS, layout))
        # A temporary table has no statistics until analysed; without them the planner
        # guesses its size and may hash the claims instead of the invoices' aggregate.
        session.execute("ANALYZE claims_upload")
        return "claims_upload"

    def _before_delete(self, cur: PostgresSession) -> None:  # type: ignore[override]
        # Waits for running uploads, so that dropping partitions (which locks their
        # parents exclusively, briefly) never queues readers behind an upload.
        cur.execute("SELECT pg_advisory_xact_lock($key)", {"key": _UPLOAD_LOCK})

    def _erase_run_rows(self, cur: PostgresSession, run_id: int) -> None:  # type: ignore[override]
        for table in ("results", "orphans"):
            cur.execute(f"DROP TABLE IF EXISTS {_partition(table, run_id)}")

    def _erase_invoices(self, cur: PostgresSession, dataset_id: int) -> None:  # type: ignore[override]
        cur.execute(f"DROP TABLE IF EXISTS {_partition('invoices', dataset_id)}")

    def _seqs_in_order(  # type: ignore[override]
        self, cur: PostgresSession, where: str, order: str, params: dict[str, object]
    ) -> np.ndarray:
        # One array value, parsed by psycopg's C loader: COPY would hand over a row at a time.
        found = cur.execute(
            f"SELECT array_agg(seq ORDER BY {order}) FROM results WHERE {where}", params
        ).fetchone()[0]
        return np.array(found or [], dtype=np.int32)

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
