"""Table definitions and their versions. Each migration is applied once, in order."""

from __future__ import annotations

SCHEMA_VERSION = 5

# Large tables carry no primary key or index: DuckDB prunes by zone maps, and runs are
# appended in bulk, so each run's rows sit together. A run's claims live in its results
# (with everything computed for them); ``datasets`` keeps each uploaded file's metadata,
# and invoices are stored once per invoices file, shared by the runs that use it.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "CREATE SEQUENCE IF NOT EXISTS run_ids START 1",
        "CREATE SEQUENCE IF NOT EXISTS dataset_ids START 1",
        """
        CREATE TABLE IF NOT EXISTS datasets (
            dataset_id BIGINT PRIMARY KEY,
            kind VARCHAR NOT NULL,
            filename VARCHAR NOT NULL,
            size_bytes BIGINT NOT NULL,
            sha256 VARCHAR NOT NULL,
            row_count BIGINT NOT NULL,
            created_at TIMESTAMP NOT NULL  -- UTC
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS invoices (
            dataset_id BIGINT NOT NULL,
            invoice_id VARCHAR NOT NULL,
            claim_id VARCHAR NOT NULL,
            transaction_value DECIMAL(18, 2) NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS runs (
            run_id BIGINT PRIMARY KEY,
            created_at TIMESTAMP NOT NULL,
            claims_dataset_id BIGINT NOT NULL,
            invoices_dataset_id BIGINT NOT NULL,
            claims_from_run_id BIGINT,
            invoices_from_run_id BIGINT,
            tolerance_amount DECIMAL(18, 2) NOT NULL,
            tolerance_percent DECIMAL(5, 2) NOT NULL,
            total_claims BIGINT NOT NULL,
            balanced BIGINT NOT NULL,
            underpaid BIGINT NOT NULL,
            overpaid BIGINT NOT NULL,
            no_invoices BIGINT NOT NULL,
            orphan_invoices BIGINT NOT NULL,
            timings VARCHAR NOT NULL,
            warnings VARCHAR NOT NULL,
            summary VARCHAR NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS results (
            run_id BIGINT NOT NULL,
            claim_id VARCHAR NOT NULL,
            patient_id VARCHAR NOT NULL,
            date_of_service DATE NOT NULL,
            charges_amount DECIMAL(18, 2) NOT NULL,
            invoice_count INTEGER NOT NULL,
            invoice_total DECIMAL(18, 2),
            variance DECIMAL(18, 2),
            status VARCHAR NOT NULL,
            has_refunds BOOLEAN NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS orphans (
            run_id BIGINT NOT NULL,
            invoice_id VARCHAR NOT NULL,
            claim_id VARCHAR NOT NULL,
            transaction_value DECIMAL(18, 2) NOT NULL
        )
        """,
    ),
    # The audit trail: who did what to which run, with counts and hashes, never PHI.
    2: (
        "CREATE SEQUENCE IF NOT EXISTS audit_ids START 1",
        """
        CREATE TABLE IF NOT EXISTS audit_events (
            event_id BIGINT PRIMARY KEY,
            occurred_at TIMESTAMP NOT NULL,  -- UTC
            actor VARCHAR NOT NULL,
            action VARCHAR NOT NULL,
            run_id BIGINT,
            row_count BIGINT,
            detail VARCHAR NOT NULL
        )
        """,
    ),
    # Each result row's position in claim_id order within its run. Runs are written in
    # that order, so a page in the default order is a range of seq that the engine finds
    # without sorting, and any other order tie-breaks on a small integer. The table is
    # rebuilt (rather than altered) so that earlier runs are stored in that order too.
    3: (
        """
        CREATE TABLE results_v3 (
            run_id BIGINT NOT NULL,
            claim_id VARCHAR NOT NULL,
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
        """
        INSERT INTO results_v3
        SELECT run_id, claim_id, patient_id, date_of_service, charges_amount, invoice_count,
               invoice_total, variance, status, has_refunds,
               CAST(row_number() OVER (PARTITION BY run_id ORDER BY claim_id) AS INTEGER)
        FROM results
        ORDER BY run_id, claim_id
        """,
        "DROP TABLE results",
        "ALTER TABLE results_v3 RENAME TO results",
    ),
    # Version 4 is engine-specific: PostgreSQL compares text keys byte by byte (DuckDB
    # always has), and DuckDB stores claim_id uncompressed for the claim page's lookups.
    4: (),
    5: (),
}
