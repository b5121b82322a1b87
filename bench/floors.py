"""The floors: the same reconciliation done directly in DuckDB, with nothing around it.

Run as its own process (``python bench/floors.py MODE --claims C --invoices I [--db PATH]``)
so that its memory is measured alone and no cache is shared with the server; prints one JSON
object on stdout.

- ``compute``: in-memory DuckDB reads both CSVs with their real types, aggregates the
  invoices per claim, joins, derives variance and status, and materialises the result.
- ``persisted``: the *persisted floor*, the reference for the upload target: the
  invoices, the result and the orphan invoices written as tables into a DuckDB file and
  checkpointed, the least a service that keeps its runs stores (claim pages, orphan
  listings and uploads of one file read them back).
- ``results-only``: the result table alone in a DuckDB file, checkpointed (shown beside it).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import duckdb

CLAIMS_COLUMNS = (
    "{'claim_id': 'VARCHAR', 'patient_id': 'VARCHAR', "
    "'date_of_service': 'DATE', 'charges_amount': 'DECIMAL(18, 2)'}"
)
INVOICES_COLUMNS = (
    "{'invoice_id': 'VARCHAR', 'claim_id': 'VARCHAR', 'transaction_value': 'DECIMAL(18, 2)'}"
)
MODES = ("compute", "persisted", "results-only")


def _read_csv(path: Path, columns: str) -> str:
    quoted = str(path).replace("'", "''")
    return f"read_csv('{quoted}', header = true, auto_detect = false, columns = {columns})"


def results_sql(claims: str, invoices: str) -> str:
    """One claim per row with its totals and status (exact tolerance, as the default upload)."""
    return f"""
        WITH inv AS (
            SELECT claim_id, count(*) AS invoice_count,
                   sum(transaction_value) AS invoice_total,
                   count(*) FILTER (WHERE transaction_value < 0) AS refunds
            FROM {invoices} GROUP BY claim_id
        )
        SELECT c.claim_id, c.patient_id, c.date_of_service, c.charges_amount,
               coalesce(i.invoice_count, 0) AS invoice_count,
               i.invoice_total,
               i.invoice_total - c.charges_amount AS variance,
               CASE WHEN i.invoice_count IS NULL THEN 'NO_INVOICES'
                    WHEN i.invoice_total = c.charges_amount THEN 'BALANCED'
                    WHEN i.invoice_total < c.charges_amount THEN 'UNDERPAID'
                    ELSE 'OVERPAID' END AS status,
               coalesce(i.refunds, 0) > 0 AS has_refunds
        FROM {claims} c LEFT JOIN inv i ON i.claim_id = c.claim_id
    """


def run(mode: str, claims: Path, invoices: Path, db: Path | None) -> dict[str, object]:
    if mode != "compute" and db is None:
        raise SystemExit(f"{mode} needs --db")
    target = ":memory:" if mode == "compute" else str(db)
    claims_src = _read_csv(claims, CLAIMS_COLUMNS)
    invoices_src = _read_csv(invoices, INVOICES_COLUMNS)
    cpu_before = _cpu_s()
    started = time.perf_counter()
    con = duckdb.connect(target)
    if mode == "persisted":
        con.execute(f"CREATE TABLE invoices AS SELECT * FROM {invoices_src}")
        invoices_src = "invoices"
    con.execute(f"CREATE TABLE results AS {results_sql(claims_src, invoices_src)}")
    if mode == "persisted":
        con.execute(
            "CREATE TABLE orphans AS SELECT i.* FROM invoices i "
            "ANTI JOIN results r ON r.claim_id = i.claim_id"
        )
    if mode != "compute":
        con.execute("CHECKPOINT")
    rows = con.execute("SELECT count(*) FROM results").fetchone()[0]
    con.close()
    seconds = time.perf_counter() - started
    return {
        "mode": mode,
        "seconds": round(seconds, 4),
        "rows": int(rows),
        "db_bytes": db.stat().st_size if db is not None and db.exists() else None,
        "cpu_s": round(_cpu_s() - cpu_before, 4),
        # Linux reports ru_maxrss in KiB.
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "duckdb": duckdb.__version__,
    }


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=MODES)
    parser.add_argument("--claims", type=Path, required=True)
    parser.add_argument("--invoices", type=Path, required=True)
    parser.add_argument("--db", type=Path, help="DuckDB file for the persisted modes")
    args = parser.parse_args(argv)
    json.dump(run(args.mode, args.claims, args.invoices, args.db), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
